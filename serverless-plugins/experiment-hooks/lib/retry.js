'use strict';

// A few attempts with a pause between them, for the AWS calls of `sls remove`'s hook:
// a throttled or briefly failing List call must not decide whether the mappings are
// disabled first (the SDK's own retries cover only some errors, e.g. not AccessDenied
// granted a moment late, nor a paginator's later page).

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` up to `attempts` times, waiting `delayMs` (doubled each time) in between;
 * `retryIf(error)` false stops at once. Rethrows the last error.
 */
async function withRetries(fn, { attempts = 3, delayMs = 2000, retryIf = () => true } = {}) {
  let wait = delayMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryIf(error)) throw error;
      await sleep(wait);
      wait *= 2;
    }
  }
}

/** "Name message" of an SDK error, for a log line. */
function describeError(error) {
  if (!error) return 'unknown error';
  return `${error.name && error.name !== 'Error' ? `${error.name} ` : ''}${error.message || error}`;
}

module.exports = { withRetries, describeError };
