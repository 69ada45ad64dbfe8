/**
 * The bearer token of one client. Obtained lazily, shared by every request, and fetched once
 * even when many requests start together (single flight). Tokens expire on a fixed lifetime
 * (not sliding) and the API answers 401 afterwards; renew() replaces the token a request found
 * stale, unless another request already did.
 */
export class Session {
  private token: string | undefined;
  private pending: Promise<string> | undefined;

  /** `login` performs POST /authenticate and resolves to the token. */
  constructor(private readonly login: () => Promise<string>) {}

  /** The current token, authenticating first when there is none. */
  current(): Promise<string> {
    if (this.token !== undefined) return Promise.resolve(this.token);
    return this.fetch();
  }

  /** A new token after `stale` was refused; concurrent callers share one authentication. */
  renew(stale: string | undefined): Promise<string> {
    if (this.token !== undefined && this.token !== stale) return Promise.resolve(this.token);
    this.token = undefined;
    return this.fetch();
  }

  /** Forgets the token (e.g. on close); the next request authenticates again. */
  clear(): void {
    this.token = undefined;
  }

  private fetch(): Promise<string> {
    if (this.pending) return this.pending;
    const pending = this.login().then(
      (token) => {
        this.token = token;
        this.pending = undefined;
        return token;
      },
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    this.pending = pending;
    return pending;
  }
}
