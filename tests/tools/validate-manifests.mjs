// Checks Kubernetes manifests (YAML files, one or more documents each) against the Kubernetes schemas with
// kubernetes-models, and Argo Rollouts' kinds with @kubernetes-models/argo-rollouts: prints each problem as
// file: kind/name: message and exits 1 if there is any, or if a document names a kind neither package knows.
import fs from "fs";
import YAML from "yaml";

const packages = (apiVersion) => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "argoproj.io") return `@kubernetes-models/argo-rollouts/${group}/${version}`;
  return group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
};

let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const document of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const manifest = document.toJSON();
    const what = `${manifest?.kind}/${manifest?.metadata?.name}`;
    try {
      if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join("; "));
      const module = await import(packages(String(manifest.apiVersion)));
      const Model = module[manifest.kind];
      if (typeof Model !== "function") throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
      new Model(manifest).validate();
      console.log(`${file}: ${what}: valid`);
    } catch (e) {
      problems++;
      console.log(`${file}: ${what}: ${e.message}`);
    }
  }
}
process.exit(problems > 0 ? 1 : 0);
