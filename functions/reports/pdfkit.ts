// pdfkit's browser build, with the standard fonts this report uses registered from pdfkit's own font-metric
// modules. The Node build loads its metrics at run time through a `require` of package-internal paths, which an
// esbuild bundle (a Lambda function) does not carry: the first text call then fails with "Cannot find module
// '#standard-fonts/Helvetica'". The browser build has no file-system or Node-stream dependency, and the metrics
// imported here are bundled like any other module, so the same code runs under tsx, vitest and in Lambda
// (test/infra/report-bundling.test.ts bundles it and renders a PDF from the bundle).
import type PDFKitDocument from 'pdfkit';
import Helvetica from 'pdfkit/standard-fonts/Helvetica';
import HelveticaBold from 'pdfkit/standard-fonts/HelveticaBold';
import HelveticaOblique from 'pdfkit/standard-fonts/HelveticaOblique';
// @ts-expect-error: the browser build ships no declaration file; it is typed below from @types/pdfkit. It is named by
// path because pdfkit's export map hands Node its Node build.
import * as browserBuild from '../../node_modules/pdfkit/js/pdfkit.browser.mjs';

const build = browserBuild as {
  PDFDocument: typeof PDFKitDocument;
  registerStdFonts: (...fonts: unknown[]) => void;
};

build.registerStdFonts(Helvetica, HelveticaBold, HelveticaOblique);

/** The PDFDocument class, with Helvetica, Helvetica-Bold and Helvetica-Oblique available. */
export const PDFDocument = build.PDFDocument;
export type PDFDocument = PDFKit.PDFDocument;

export const FONTS = { regular: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique' } as const;
