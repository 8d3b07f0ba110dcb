/**
 * What the inference service needs from a model: a version and a forecast of the mid's log return
 * over the horizon from one feature vector (FEATURE_NAMES order, NaN where a feature is missing).
 */
export interface ReturnModel {
  readonly version: string;
  predictLogReturn(values: ArrayLike<number>): number;
}

/** The baseline every model must beat: the price will not move. */
export const randomWalkModel: ReturnModel = {
  version: 'random-walk',
  predictLogReturn: () => 0,
};
