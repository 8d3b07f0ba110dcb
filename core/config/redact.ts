/**
 * Credentials out of anything printed: `redis://user:secret@host` → `redis://user:***@host`, for every
 * URL in the text (REDIS_URL, DATABASE_URL, a URL inside an error message). Pure, so every log path
 * can run its lines through it.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi;
const URL_USER_ONLY = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)@/gi;

export function redactCredentials(text: string): string {
  return text
    .replace(URL_CREDENTIALS, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
    .replace(URL_USER_ONLY, (m, scheme: string, user: string) =>
      // A bare token in the user part (`redis://token@host`) is a password too.
      user === '***' ? m : `${scheme}***@`,
    );
}
