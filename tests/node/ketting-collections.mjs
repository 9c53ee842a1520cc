// ketting: root -> gw:collections -> every gw:collection -> its gw:items.
//
// ketting keeps every embedded resource in its cache as the resource itself and
// follows links from what it holds: nothing here refreshes, so each collection and item
// is seen exactly as the gateway first handed it to the client.
import ketting from "ketting";
import { root, token, kettingLinks, run } from "./gateway.mjs";

const { Ketting, bearerAuth } = ketting;

run(async () => {
  const client = new Ketting(root);
  client.use(bearerAuth(token));
  const list = client.go().follow("gw:collections", { per_page: 100 });
  const collections = [];
  for (const collection of await list.followAll("gw:collection")) {
    const state = await collection.get();
    const items = [];
    for (const item of await collection.followAll("gw:items")) {
      const seen = await item.get();
      items.push({ uri: item.uri, id: seen.data.id, title: seen.data.title, links: kettingLinks(seen) });
    }
    collections.push({
      uri: collection.uri,
      id: state.data.id,
      title: state.data.title,
      links: kettingLinks(state),
      items,
    });
  }
  return { collections };
});
