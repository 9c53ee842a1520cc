// ketting: a MediaCentral backend's root folder -> a folder -> a sub-folder -> an item
// -> the asset it files, each folder's children read through its loc:collection.
//
// Arguments after the gateway URL: the backend's name, then the names of the folder
// and the sub-folder. The folders and the item are the embedded copies ketting keeps
// from the pages that listed them: nothing here refreshes.
import ketting from "ketting";
import { root, token, kettingLinks, run } from "./gateway.mjs";

const { Ketting, bearerAuth } = ketting;
const [backendName, ...path] = process.argv.slice(3);

async function seen(resource) {
  const state = await resource.get();
  return { uri: resource.uri, name: state.data.common?.name, links: kettingLinks(state) };
}

async function child(folder, name) {
  for (const item of await folder.follow("loc:collection").followAll("loc:item")) {
    if ((await item.get()).data.common?.name === name) return item;
  }
  throw new Error(`no ${name} in ${folder.uri}`);
}

run(async () => {
  const client = new Ketting(root);
  client.use(bearerAuth(token));
  const start = client.go();
  const backends = (await start.get()).links.getMany("gw:backend");
  const backend = backends.find((link) => link.name === backendName);
  if (!backend) throw new Error(`no backend ${backendName}`);
  let folder = await start.go(backend.href).follow("mc:locations");
  const reached = [await seen(folder)];
  for (const name of path) {
    folder = await child(folder, name);
    reached.push(await seen(folder));
  }
  const [item] = await folder.follow("loc:collection").followAll("loc:item");
  reached.push(await seen(item));
  reached.push(await seen(await item.follow("loc:referenced-object")));
  return { reached };
});
