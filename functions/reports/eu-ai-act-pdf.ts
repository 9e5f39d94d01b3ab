// Renders the EU AI Act compliance report (functions/domain/compliance-report.ts) as an A4 PDF with pdfkit: a title
// block and contents, one numbered section per evidence area with its EU AI Act reference, tables that repeat their
// header on every page they run over, and a footer on every page with the page number and the content hash.
import type { Block, Column, ComplianceReport, ReportSection } from '../domain/compliance-report.js';
import { FONTS, PDFDocument } from './pdfkit.js';

const MARGIN = 50;
const FOOTER_SPACE = 34;
const INK = '#1f2328';
const MUTED = '#59636e';
const RULE = '#d0d7de';
const HEADER_FILL = '#eaeef2';
const CELL_PAD = 3;

// Characters the standard PDF fonts (WinAnsi encoding) lack, written the way a reader expects them.
const REPLACEMENTS: Record<string, string> = {
  '→': '->',
  '←': '<-',
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
  '≈': '~',
  '×': 'x',
  '−': '-',
  '✓': 'ok',
  '✗': 'x',
};
// Beyond Latin-1, WinAnsi has these 27 characters; anything else would print as a wrong glyph.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** Text as the standard fonts can print it: known symbols spelled out, anything else unprintable as `?`. */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (REPLACEMENTS[ch] !== undefined) out += REPLACEMENTS[ch];
    else if (code === 0x09 || code === 0x0a || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff))
      out += ch;
    else if (WIN_ANSI_EXTRA.has(ch)) out += ch;
    else if (code < 0x20) out += ' ';
    else out += '?';
  }
  return out;
}

/** The report as PDF bytes. */
export async function renderEuAiActPdf(report: ComplianceReport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_SPACE },
    bufferPages: true,
    info: {
      Title: printable(`${report.title}: ${report.systemName}`),
      Author: printable(report.generatedBy),
      Subject: `EU AI Act technical documentation evidence for ${report.systemId}`,
      Keywords: `EU AI Act; Annex IV; ${report.systemId}; sha256:${report.contentHash}`,
      CreationDate: new Date(report.generatedAt),
    },
  });
  const chunks: Uint8Array[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Uint8Array) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const r = new Renderer(doc);
  r.titleBlock(report);
  report.sections.forEach((section, i) => {
    r.section(i + 1, section);
  });
  r.integrity(report);
  r.footers(report);
  doc.end();
  return done;
}

class Renderer {
  private readonly width: number;

  constructor(private readonly doc: PDFKit.PDFDocument) {
    this.width = doc.page.width - MARGIN * 2;
  }

  private get bottom() {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  /** Starts a new page unless `height` still fits on this one. */
  private ensure(height: number) {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  private text(value: string, options: PDFKit.Mixins.TextOptions = {}) {
    this.doc.text(printable(value), { width: this.width, ...options });
  }

  titleBlock(report: ComplianceReport) {
    const { doc } = this;
    doc.font(FONTS.bold).fontSize(20).fillColor(INK);
    this.text(report.title);
    doc.moveDown(0.2).font(FONTS.regular).fontSize(13);
    this.text(report.systemName);
    doc.moveDown(0.4).fontSize(9).fillColor(MUTED);
    this.text(`System id ${report.systemId}`);
    this.text(`Generated ${report.generatedAt} by ${report.generatedBy}, from the live registry records.`);
    doc.moveDown(0.8).fillColor(INK).font(FONTS.bold).fontSize(11);
    this.text('Contents');
    doc.moveDown(0.3).font(FONTS.regular).fontSize(9);
    report.sections.forEach((s, i) => {
      this.text(`${i + 1}. ${s.title}  (${s.reference})`);
    });
    this.text(`${report.sections.length + 1}. Document integrity`);
    doc.moveDown(1);
  }

  section(n: number, section: ReportSection) {
    const { doc } = this;
    this.ensure(80);
    doc.moveDown(0.6).font(FONTS.bold).fontSize(13).fillColor(INK);
    this.text(`${n}. ${section.title}`);
    doc.font(FONTS.italic).fontSize(8).fillColor(MUTED);
    this.text(`EU AI Act: ${section.reference}`);
    doc.fillColor(INK).moveDown(0.4);
    for (const block of section.blocks) this.block(block);
  }

  private block(block: Block) {
    const { doc } = this;
    switch (block.kind) {
      case 'paragraph':
        doc.font(FONTS.regular).fontSize(9).fillColor(INK);
        this.ensure(24);
        this.text(block.text, { align: 'left' });
        doc.moveDown(0.5);
        return;
      case 'subheading':
        this.ensure(40);
        doc.moveDown(0.3).font(FONTS.bold).fontSize(10).fillColor(INK);
        this.text(block.text);
        doc.moveDown(0.3);
        return;
      case 'list':
        doc.font(FONTS.regular).fontSize(9).fillColor(INK);
        for (const item of block.items) {
          this.ensure(14);
          this.text(`•  ${item}`, { indent: 0 });
        }
        doc.moveDown(0.5);
        return;
      case 'fields':
        this.fields(block.rows);
        return;
      case 'table':
        this.table(block.title, block.columns, block.rows, block.empty);
        return;
    }
  }

  private fields(rows: [string, string][]) {
    const { doc } = this;
    const labelWidth = 150;
    const valueWidth = this.width - labelWidth - 8;
    doc.fontSize(9);
    for (const [label, value] of rows) {
      doc.font(FONTS.regular);
      const height = Math.max(
        doc.heightOfString(printable(value), { width: valueWidth }),
        doc.font(FONTS.bold).heightOfString(printable(label), { width: labelWidth }),
      );
      this.ensure(height + 3);
      const y = doc.y;
      doc.font(FONTS.bold).fillColor(MUTED).text(printable(label), MARGIN, y, { width: labelWidth });
      doc
        .font(FONTS.regular)
        .fillColor(INK)
        .text(printable(value), MARGIN + labelWidth + 8, y, { width: valueWidth });
      doc.x = MARGIN;
      doc.y = y + height + 3;
    }
    doc.moveDown(0.4);
  }

  private table(title: string, columns: Column[], rows: string[][], empty: string) {
    const { doc } = this;
    const total = columns.reduce((s, c) => s + c.width, 0);
    const widths = columns.map((c) => (c.width / total) * this.width);
    const fontSize = 7.5;
    this.ensure(48);
    doc.font(FONTS.bold).fontSize(9).fillColor(INK);
    this.text(title);
    doc.moveDown(0.2);
    if (rows.length === 0) {
      doc.font(FONTS.italic).fontSize(8.5).fillColor(MUTED);
      this.text(empty);
      doc.fillColor(INK).moveDown(0.6);
      return;
    }
    const heightOf = (cells: string[], font: string) => {
      doc.font(font).fontSize(fontSize);
      return (
        Math.max(
          ...cells.map((cell, i) => doc.heightOfString(printable(cell), { width: (widths[i] ?? 0) - CELL_PAD * 2 })),
        ) +
        CELL_PAD * 2
      );
    };
    const header = columns.map((c) => c.header);
    const headerHeight = heightOf(header, FONTS.bold);
    const drawRow = (cells: string[], font: string, height: number, fill: string | null) => {
      const y = doc.y;
      if (fill) doc.rect(MARGIN, y, this.width, height).fill(fill);
      doc.font(font).fontSize(fontSize).fillColor(INK);
      let x = MARGIN;
      cells.forEach((cell, i) => {
        const w = widths[i] ?? 0;
        doc.text(printable(cell), x + CELL_PAD, y + CELL_PAD, { width: w - CELL_PAD * 2 });
        x += w;
      });
      doc
        .moveTo(MARGIN, y + height)
        .lineTo(MARGIN + this.width, y + height)
        .lineWidth(0.5)
        .strokeColor(RULE)
        .stroke();
      doc.x = MARGIN;
      doc.y = y + height;
    };
    this.ensure(headerHeight + 14);
    drawRow(header, FONTS.bold, headerHeight, HEADER_FILL);
    for (const row of rows) {
      const height = heightOf(row, FONTS.regular);
      if (doc.y + height > this.bottom) {
        doc.addPage();
        drawRow(header, FONTS.bold, headerHeight, HEADER_FILL);
      }
      drawRow(row, FONTS.regular, height, null);
    }
    doc.moveDown(0.8);
  }

  integrity(report: ComplianceReport) {
    const { doc } = this;
    this.ensure(120);
    doc.moveDown(0.6).font(FONTS.bold).fontSize(13).fillColor(INK);
    this.text(`${report.sections.length + 1}. Document integrity`);
    doc.moveDown(0.4);
    this.fields([
      ['Generated at', report.generatedAt],
      ['Generated by', report.generatedBy],
      ['Content hash (SHA-256)', report.contentHash],
    ]);
    doc.font(FONTS.regular).fontSize(8.5).fillColor(MUTED);
    this.text(
      "The content hash is the SHA-256 of the RFC 8785 canonical JSON of this report's content (every section, " +
        'the system id, the generation time and requester). The HTTP response that delivered this file carries the ' +
        'same hash (x-report-content-hash) and a digest of the PDF bytes themselves (repr-digest, RFC 9530).',
    );
  }

  /** Writes every page's footer once the page count is known. */
  footers(report: ComplianceReport) {
    const { doc } = this;
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      // Writing into the bottom margin must not start a new page.
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      const y = doc.page.height - MARGIN - FOOTER_SPACE + 12;
      doc
        .moveTo(MARGIN, y - 4)
        .lineTo(doc.page.width - MARGIN, y - 4)
        .lineWidth(0.5)
        .strokeColor(RULE)
        .stroke();
      doc.font(FONTS.regular).fontSize(7).fillColor(MUTED);
      doc.text(printable(`${report.title} - ${report.systemName} - generated ${report.generatedAt}`), MARGIN, y, {
        width: this.width * 0.8,
        lineBreak: false,
      });
      doc.text(`Page ${i - range.start + 1} of ${range.count}`, MARGIN, y, {
        width: this.width,
        align: 'right',
        lineBreak: false,
      });
      doc.text(`Content hash (SHA-256): ${report.contentHash}`, MARGIN, y + 10, {
        width: this.width,
        lineBreak: false,
      });
      doc.page.margins.bottom = bottom;
    }
  }
}
