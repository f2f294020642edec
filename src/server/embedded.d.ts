// Types for files embedded with import attributes (`with { type: "text" }` / `{ type: "file" }`).
declare module "*.eta" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.svg" {
  const text: string;
  export default text;
}
declare module "htmx.org/dist/htmx.min.js" {
  /** With `{ type: "file" }`: a path (on disk, or under /$bunfs in the compiled binary). */
  const path: string;
  export default path;
}
declare module "*/web/static/app.js" {
  const text: string;
  export default text;
}
