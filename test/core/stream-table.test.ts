/**
 * The one stream table (core/market/streams.ts): every SBE template the pipeline carries has exactly
 * one family, and the names every part of the tree derives from it are the ones Binance, Kinesis and
 * bronze use.
 */
import { describe, expect, it } from 'vitest';
import {
  binanceStreamNames,
  kinesisStreamNames,
  STREAM_KINDS,
  STREAM_TABLE,
  streamKindOf,
  streamKindOfStreamName,
} from '../../core/market/streams.ts';
import { TemplateId } from '../../core/sbe/abi.ts';

describe('stream table', () => {
  it('gives every stream template exactly one family, and none to an unknown template', () => {
    expect(streamKindOf(TemplateId.Trades)).toBe('trade');
    expect(streamKindOf(TemplateId.BestBidAsk)).toBe('bestbidask');
    expect(streamKindOf(TemplateId.DepthDiff)).toBe('depth');
    expect(streamKindOf(TemplateId.DepthSnapshot)).toBe('depth');
    expect(streamKindOf(4242)).toBeUndefined();
    const claimed = STREAM_KINDS.flatMap((k) => STREAM_TABLE[k].templateIds);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect([...claimed].sort()).toEqual(Object.values(TemplateId).sort());
  });

  it('subscribes to the four Binance SBE streams of a symbol', () => {
    expect(binanceStreamNames('BTCUSDT')).toEqual([
      'btcusdt@trade',
      'btcusdt@bestBidAsk',
      'btcusdt@depth',
      'btcusdt@depth20',
    ]);
  });

  it('names Kinesis streams and bronze datasets per family', () => {
    expect(kinesisStreamNames()).toEqual({
      trade: 'market-sbe-trade',
      bestbidask: 'market-sbe-bestbidask',
      depth: 'market-sbe-depth',
    });
    expect(kinesisStreamNames('-prod').depth).toBe('market-sbe-depth-prod');
    expect(STREAM_KINDS.map((k) => STREAM_TABLE[k].bronzeDataset)).toEqual([
      'stream/trade',
      'stream/bestbidask',
      'stream/depth',
    ]);
  });

  it('finds the family of a Kinesis stream from its name', () => {
    expect(streamKindOfStreamName('market-sbe-bestbidask-staging')).toBe('bestbidask');
    expect(streamKindOfStreamName('market-sbe-trade-prod')).toBe('trade');
    expect(streamKindOfStreamName('v-depth-3')).toBe('depth');
    expect(streamKindOfStreamName('orders')).toBeUndefined();
  });
});
