// pdfkit's standard-font metric modules (pdfkit/standard-fonts/*) ship without declarations.
declare module 'pdfkit/standard-fonts/*' {
  const font: { name: string };
  export default font;
}
