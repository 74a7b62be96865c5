import MarkdownIt from 'markdown-it';

/**
 * Markdown → safe HTML for descriptions and documentation. Raw HTML in the source is escaped
 * (`html: false`) and markdown-it refuses `javascript:`, `vbscript:`, `file:` and non-image
 * `data:` links, so the output can be inserted into a page as it is.
 */
const renderer = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

export function renderMarkdown(source: string): string {
  return renderer.render(source);
}
