// Vite builds the page into dist/, which Flask serves at "/" (one process serves page and API).
// During development (`npm run dev`) Vite proxies /api to a Flask or gunicorn server on port 8000.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
});
