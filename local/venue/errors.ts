/** Typed errors of the local venue. All are caller or input errors: none is retryable. */

export class VenueConfigError extends Error {
  override readonly name = 'VenueConfigError';
  readonly retryable = false;
}

/** A fault spec that does not parse; `token` is the offending part of the spec. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
  readonly retryable = false;
  readonly token: string;
  constructor(token: string, reason: string) {
    super(`Bad fault spec token '${token}': ${reason}.`);
    this.token = token;
  }
}

/** A recording line that is neither a combined-stream envelope nor a REST depth snapshot. */
export class RecordingFormatError extends Error {
  override readonly name = 'RecordingFormatError';
  readonly retryable = false;
  constructor(path: string, lineNumber: number, reason: string) {
    super(`${path}:${lineNumber}: ${reason}.`);
  }
}

/** A ground-truth query outside the retained history (the history is bounded by design). */
export class TruthOutOfRangeError extends Error {
  override readonly name = 'TruthOutOfRangeError';
  readonly retryable = false;
  readonly oldest: number;
  readonly newest: number;
  constructor(what: string, requested: number, oldest: number, newest: number) {
    super(`${what} ${requested} is outside the retained ground truth [${oldest}, ${newest}].`);
    this.oldest = oldest;
    this.newest = newest;
  }
}

export class UnknownSymbolError extends Error {
  override readonly name = 'UnknownSymbolError';
  readonly retryable = false;
  constructor(symbol: string) {
    super(`The venue does not list symbol '${symbol}'.`);
  }
}
