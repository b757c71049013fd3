// The layers of src/, top to bottom: the one written list the import rule is made from (README,
// "Code map"). A module imports from its own layer and from the layers below it, never from one
// above. Folders of one layer may import each other one way only: no folder cycle at all.
// Run it with `npm run check:layers` (.ci/run does, before the tests).
const layers = [
  { name: "wiring", paths: ["src/main.ts", "src/bot.ts", "src/server.ts", "src/cli/"] },
  { name: "console", paths: ["src/staff/", "src/devchat/"] },
  { name: "event-handlers", paths: ["src/events/"] },
  { name: "features", paths: ["src/flows/", "src/notices/", "src/richmenu/", "src/kpi/"] },
  { name: "delivery", paths: ["src/inbox/", "src/outbox/"] },
  { name: "understanding-and-content", paths: ["src/intents/", "src/seeds/"] },
  { name: "line-protocol-and-storage", paths: ["src/line/", "src/store/"] },
  {
    name: "basics",
    paths: ["src/config.ts", "src/logger.ts", "src/log-errors.ts", "src/trust-proxy.ts", "src/backoff.ts", "src/recent-users.ts", "src/japan-time.ts", "src/periodic-job.ts"],
  },
];

// "src/cli/" matches the folder and everything in it; "src/main.ts" that one file.
const pattern = (path) => "^" + path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + (path.endsWith("/") ? "" : "$");
const patternsOf = (someLayers) => someLayers.flatMap((layer) => layer.paths.map(pattern));

const importsUp = layers.slice(1).map((layer, index) => ({
  name: `layer-${layer.name}-imports-up`,
  comment: `${layer.name} (${layer.paths.join(", ")}) may import only from its own layer and the layers below it`,
  severity: "error",
  from: { path: patternsOf([layer]) },
  to: { path: patternsOf(layers.slice(0, index + 1)) },
}));

module.exports = {
  forbidden: [
    ...importsUp,
    {
      name: "module-in-no-layer",
      comment: "every module of src/ belongs to one layer: add its folder or file to the list in .dependency-cruiser.cjs",
      severity: "error",
      from: {},
      to: { path: "^src/", pathNot: patternsOf(layers) },
    },
    {
      name: "module-in-no-layer-imports",
      comment: "every module of src/ belongs to one layer: add its folder or file to the list in .dependency-cruiser.cjs",
      severity: "error",
      from: { path: "^src/", pathNot: patternsOf(layers) },
      to: {},
    },
    {
      name: "folder-cycle",
      comment: "folders (of one layer) import each other one way only",
      severity: "error",
      scope: "folder",
      from: {},
      to: { circular: true },
    },
    {
      name: "module-cycle",
      comment: "no two modules import each other at run time, directly or through others",
      severity: "error",
      from: {},
      // A cycle only of type imports is erased by the compiler; folder-cycle above still counts them.
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^src/",
    // Type-only imports count: a type from a higher layer is a back-import too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};

// For tests/unit/layers.test.ts (not part of dependency-cruiser's configuration, so not enumerable).
Object.defineProperty(module.exports, "layers", { value: layers, enumerable: false });
