import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatPath, type DefinitionProblem, type DefinitionProblemCode } from './definition-problem.ts';

/** Files above this size are refused before parsing: definitions are a few KB. */
export const MAX_DEFINITION_BYTES = 256 * 1024;
const MAX_ALIASES = 50;

export type YamlPath = readonly (string | number)[];

/** A parsed definition file that can locate any path in its source. */
export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  /** A problem located at `path`; at the key when `atKey`, else at the value. Falls back to the nearest ancestor. */
  problem(path: YamlPath, code: DefinitionProblemCode, message: string, hint?: string, atKey?: boolean): DefinitionProblem;
}

export interface ParsedYaml {
  readonly source?: YamlSource;
  readonly problems: DefinitionProblem[];
}

/** The node at `path`, or its nearest existing ancestor. */
function nodeAt(doc: Document, path: YamlPath, atKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let found = node as Node | undefined;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      node = last && atKey ? pair.key : pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else break;
    if (!node) break;
    found = node as Node;
  }
  return found;
}

/**
 * Parses YAML safely: size-capped, alias-capped, core schema only, duplicate keys and any tag refused.
 * Never throws; every problem is located.
 */
export function parseYamlSource(file: string, text: string): ParsedYaml {
  const at = (line: number, column: number, code: DefinitionProblemCode, message: string, hint?: string): DefinitionProblem => ({
    file, line, column, path: '', code, message, ...(hint ? { hint } : {}),
  });
  // Some editors write a byte-order mark; it is not content.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (Buffer.byteLength(text) > MAX_DEFINITION_BYTES) {
    return { problems: [at(1, 1, 'DEFINITION_TOO_LARGE', `file is larger than ${MAX_DEFINITION_BYTES} bytes`, 'split it or remove generated content')] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, schema: 'core', prettyErrors: false, strict: true, stringKeys: true });
  const problems: DefinitionProblem[] = [];
  for (const error of [...doc.errors, ...doc.warnings]) {
    const pos = lineCounter.linePos(error.pos[0]);
    const code: DefinitionProblemCode =
      error.code === 'DUPLICATE_KEY' ? 'DEFINITION_DUPLICATE_KEY'
      : error.code === 'TAG_RESOLVE_FAILED' ? 'DEFINITION_UNKNOWN_TAG'
      : 'DEFINITION_YAML_SYNTAX';
    problems.push(at(pos.line, pos.col, code, error.message.split('\n')[0] ?? error.code));
  }
  // Any explicit tag, even a known one, lets a file change how values are read; the format needs none.
  let tagged = problems.some((p) => p.code === 'DEFINITION_UNKNOWN_TAG');
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Node & { tag?: string; range?: [number, number, number] };
    if ((isScalar(n) || isMap(n) || isSeq(n)) && n.tag && !tagged) {
      tagged = true;
      // The node's range starts after its tag: point at the `!` before it on the same line.
      const start = n.range?.[0] ?? 0;
      let bang = text.lastIndexOf('!', start);
      while (bang > 0 && text[bang - 1] === '!') bang--;
      const pos = lineCounter.linePos(bang >= 0 && !text.slice(bang, start).includes('\n') ? bang : start);
      problems.push(at(pos.line, pos.col, 'DEFINITION_UNKNOWN_TAG', `tag ${n.tag} is not allowed`, 'remove the tag; plain YAML values only'));
    }
    if (isMap(n) || isSeq(n)) for (const item of n.items) isPair(item) ? (visit(item.key), visit(item.value)) : visit(item);
  };
  visit(doc.contents);
  if (!text.startsWith('# yaml-language-server: $schema=')) {
    problems.push(at(1, 1, 'DEFINITION_MODELINE_MISSING', 'first line is not the schema modeline', 'start the file with `# yaml-language-server: $schema=../schema/<kind>.schema.json`'));
  }
  if (problems.length > 0) return { problems };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return { problems: [at(1, 1, 'DEFINITION_ALIAS_LIMIT', (error as Error).message, 'definitions do not need aliases; write values out')] };
  }
  const source: YamlSource = {
    file,
    value,
    problem(path, code, message, hint, atKey = false) {
      const pos = lineCounter.linePos(nodeAt(doc, path, atKey)?.range?.[0] ?? 0);
      return { file, line: pos.line, column: pos.col, path: formatPath(path), code, message, ...(hint ? { hint } : {}) };
    },
  };
  return { source, problems };
}
