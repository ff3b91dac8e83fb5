// Builds the dashboard into the Python package, served by `ceasefire serve` under /static/.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/static/",
  build: {
    outDir: "../ceasefire/dashboard/static",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
