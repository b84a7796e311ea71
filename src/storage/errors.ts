/** One line for a failed S3 request: the operation, the store's code and why. */
export function s3Error(e: unknown, what: string): Error {
  const err = e as {
    name?: string;
    message?: string;
    Code?: string;
    $metadata?: { httpStatusCode?: number; attempts?: number };
  };
  if (err?.name === 'AbortError')
    return new Error(`${what}: cancelled`, { cause: e });
  if (err?.name === 'CredentialsProviderError')
    return new Error(
      `${what}: no AWS credentials found (the SDK's default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity from aws-actions/configure-aws-credentials)`,
      { cause: e },
    );
  const status = err?.$metadata?.httpStatusCode;
  const attempts = err?.$metadata?.attempts;
  const code = err?.Code ?? err?.name ?? 'Error';
  const hint: Record<string, string> = {
    NoSuchBucket: 'the bucket does not exist',
    InvalidAccessKeyId:
      'the store does not know the access key: credentials refused',
    SignatureDoesNotMatch: 'the secret key is wrong: credentials refused',
    AccessDenied: 'access denied: see the bucket policy the actions need',
  };
  const why = hint[code] ?? (err?.message ?? String(e)).split('\n')[0];
  return new Error(
    `${what}: ${code}${status ? ` (HTTP ${status}` : ''}${status && attempts && attempts > 1 ? `, after ${attempts} attempts` : ''}${status ? ')' : ''}: ${why}`,
    { cause: e },
  );
}
