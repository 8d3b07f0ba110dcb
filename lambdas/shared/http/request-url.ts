/**
 * The URL of an incoming HTTP request, or undefined when it cannot be parsed. `new URL(req.url, base)`
 * throws on request targets a client is free to send (`GET //` reads as a scheme-relative URL with an
 * empty host), and a throw in a request handler ends the process: every server here parses through
 * this and answers 400 instead.
 */
export function requestUrl(target: string | undefined): URL | undefined {
  const path = target ?? '/';
  try {
    // Prefixing the origin keeps `//x` a path instead of a host.
    return new URL(`http://localhost${path.startsWith('/') ? path : `/${path}`}`);
  } catch {
    return undefined;
  }
}

/** decodeURIComponent without the URIError on malformed escapes (`%E0%A4%A`). */
export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
