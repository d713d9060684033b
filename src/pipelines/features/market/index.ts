import type { FeatureDefinition } from '../../../sdk/defineFeature.js';
import { ewma } from './ewma.js';
import { ohlcv } from './ohlcv.js';
import { bookImbalance, midPrice, orderBook, relativeSpread } from './orderBook.js';
import { pctChange } from './pctChange.js';
import { tradeImbalance } from './tradeImbalance.js';
import { volatility } from './volatility.js';

/**
 * The market-data feature library (the Featurizer domain): order-book reconstruction and what is read
 * from it, volatility, trade-volume imbalance, OHLCV bars with VWAP, EWMA and percent change.
 * docs/configuration.md lists them with their params.
 */
export const MARKET_DEFINITIONS: readonly FeatureDefinition<any>[] = [orderBook, midPrice, relativeSpread, bookImbalance, volatility, tradeImbalance, ohlcv, ewma, pctChange];

export { bookImbalance, ewma, midPrice, ohlcv, orderBook, pctChange, relativeSpread, tradeImbalance, volatility };
