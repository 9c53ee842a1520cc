// What every walk shares: where the gateway is, how to log in, how to report.
//
// A walk takes the gateway's root URL as its first argument and a bearer token in
// GATEWAY_TOKEN, prints one JSON document on stdout, and exits non-zero with the
// client's own error on stderr when the walk cannot go on.

export const root = process.argv[2];
export const token = process.env.GATEWAY_TOKEN;

if (!root || !token) {
  console.error("usage: GATEWAY_TOKEN=<bearer token> node <walk>.mjs <gateway root URL>");
  process.exit(2);
}

/** Every link of a ketting state as [rel, href] pairs: what the client can follow. */
export function kettingLinks(state) {
  return state.links.getAll().map((link) => [link.rel, link.href]);
}

/** Every link of a HAL document as [rel, href] pairs, CURIEs aside. */
export function halLinks(doc) {
  const pairs = [];
  for (const [rel, value] of Object.entries(doc._links ?? {})) {
    if (rel === "curies") continue;
    for (const link of Array.isArray(value) ? value : [value]) pairs.push([rel, link.href]);
  }
  return pairs;
}

/** Run a walk: its result as JSON on stdout, or its error on stderr and exit status 1. */
export async function run(walk) {
  try {
    process.stdout.write(JSON.stringify(await walk()) + "\n");
  } catch (error) {
    console.error(error?.stack ?? String(error));
    process.exit(1);
  }
}
