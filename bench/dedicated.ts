/** Benchmarks run on their own database and Redis index, next to the configured ones. */

/** `urlText` with its path replaced: the dedicated database (`/name`) or Redis index (`/12`) beside the configured one. */
export function dedicatedUrl(urlText: string, pathname: string): string {
  const url = new URL(urlText);
  url.pathname = pathname;
  return url.toString();
}
