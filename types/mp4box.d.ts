// mp4box 2 declares its types only under `exports`, which the `node` module resolution of
// this project does not read; this points the bare specifier at the CommonJS declarations.
declare module 'mp4box' {
  export * from 'mp4box/dist/mp4box.all.cjs';
}
