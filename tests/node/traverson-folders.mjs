// traverson-hal: a MediaCentral backend's root folder -> its first folder -> that
// folder's first sub-folder -> its first item, taking embedded resources where a page
// embeds them (preferEmbeddedResources), as a client that saves requests does.
//
// The argument after the gateway URL is the backend's name.
import traverson from "traverson";
import JsonHalAdapter from "traverson-hal";
import { root, token, halLinks, run } from "./gateway.mjs";

traverson.registerMediaType(JsonHalAdapter.mediaType, JsonHalAdapter);
const backendName = process.argv[3];
const DOWN = ["loc:collection", "loc:item[0]"];

function resource(...rels) {
  return new Promise((resolve, reject) => {
    traverson
      .from(root)
      .jsonHal()
      .withRequestOptions({ headers: { Authorization: `Bearer ${token}`, Accept: "application/hal+json" } })
      .preferEmbeddedResources()
      .follow(`gw:backend[name:${backendName}]`, "mc:locations", ...rels)
      .getResource((error, doc) => (error ? reject(error) : resolve(doc)));
  });
}

run(async () => {
  const reached = [];
  for (let depth = 0; depth <= 3; depth++) {
    const doc = await resource(...Array(depth).fill(DOWN).flat());
    reached.push({ uri: doc._links.self.href, name: doc.common?.name, links: halLinks(doc) });
  }
  return { reached };
});
