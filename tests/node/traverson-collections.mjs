// traverson-hal: root -> gw:collections -> each gw:collection -> its gw:items.
//
// traverson-hal follows a link where there is one and otherwise takes the embedded
// resource of that relation for the resource itself, as it does for gw:items[$all].
import traverson from "traverson";
import JsonHalAdapter from "traverson-hal";
import { root, token, halLinks, run } from "./gateway.mjs";

traverson.registerMediaType(JsonHalAdapter.mediaType, JsonHalAdapter);

function from() {
  return traverson
    .from(root)
    .jsonHal()
    .withRequestOptions({ headers: { Authorization: `Bearer ${token}`, Accept: "application/hal+json" } })
    .withTemplateParameters({ per_page: 100 });
}

function resource(...rels) {
  return new Promise((resolve, reject) => {
    from()
      .follow(...rels)
      .getResource((error, doc) => (error ? reject(error) : resolve(doc)));
  });
}

run(async () => {
  const list = await resource("gw:collections");
  const count = [].concat(list._links["gw:collection"] ?? list._embedded?.["gw:collection"] ?? []).length;
  const collections = [];
  for (let index = 0; index < count; index++) {
    const at = `gw:collection[${index}]`;
    const doc = await resource("gw:collections", at);
    const items = await resource("gw:collections", at, "gw:items[$all]");
    collections.push({
      id: doc.id,
      title: doc.title,
      links: halLinks(doc),
      items: items.map((item) => ({ id: item.id, title: item.title, links: halLinks(item) })),
    });
  }
  return { collections };
});
