/**
 * The Binance Ed25519 API key: from the environment for local runs, from Secrets Manager in AWS
 * (secret JSON `{ "apiKey": "…" }`, or the key as the plain secret string).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export async function loadApiKey(
  fromEnvironment: string | undefined,
  secretArn: string | undefined,
  secrets: () => SecretsManagerClient,
): Promise<string> {
  if (fromEnvironment) return fromEnvironment;
  if (!secretArn) throw new Error('No Binance API key: neither the key nor its secret ARN is configured.');
  const { SecretString } = await secrets().send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!SecretString) throw new Error(`Secret ${secretArn} has no string value.`);
  try {
    const parsed = JSON.parse(SecretString) as { apiKey?: unknown };
    if (typeof parsed.apiKey === 'string' && parsed.apiKey) return parsed.apiKey;
  } catch {
    // Not JSON: the secret is the key itself.
  }
  return SecretString.trim();
}
