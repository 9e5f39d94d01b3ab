// A local model server on 127.0.0.1 that speaks three providers' wire formats well enough for their official SDKs:
// OpenAI chat completions (POST <base>/chat/completions, base `/v1`), Anthropic messages (POST /v1/messages) and
// Bedrock Converse (POST /model/{modelId}/converse, the runtime client's `endpoint`). A deterministic responder: the
// answer is derived from the prompt (a label of the output contract's `label` enum that the prompt names, else one
// drawn from a hash of the prompt), 20-50 ms a call (from the same hash), token counts of about 4 characters a token.
//
// It refuses what the real services refuse, each rule from the provider's public API reference:
// - OpenAI ("API reference: Authentication", "Error codes"): `Authorization: Bearer <key>`; a missing or wrong key
//   is 401 `{error: {message, type: 'invalid_request_error', code: 'invalid_api_key'}}`; a request without `model`
//   or `messages` is 400 `invalid_request_error`.
// - Anthropic ("API reference: Versions", "Errors"): the key as `x-api-key` or, as the pinned SDK (1.17) sends it,
//   `Authorization: Bearer` (401 `{type: 'error', error: {type: 'authentication_error'}}` when missing or wrong) and
//   `anthropic-version` (400 `invalid_request_error` without it); `model`, `max_tokens` and `messages` are required.
// - Bedrock ("Bedrock API reference: Converse", "Common errors"): a request without an Authorization header is 403
//   `MissingAuthenticationTokenException`; a bearer API key must match (403 `AccessDeniedException`); a SigV4
//   signature is accepted without being verified (this server has no AWS credentials to check it against); errors
//   carry `x-amzn-errortype`. `messages` is required (400 `ValidationException`).
//
// Bedrock is served on a second port over cleartext HTTP/2 (prior knowledge), because the Bedrock Runtime client's
// request handler speaks HTTP/2 only; the others are HTTP/1.1 as their fetch-based SDKs send.
//
// A judge's prompt (issue 17, ADR 0036) is answered as a judge: when the prompt holds `<rubric>…</rubric>` and
// `<output>…</output>` (DEFAULT_RUBRIC_PROMPT in functions/domain/types.ts) and the schema asks for `pass` or
// `score`, the output passes iff it contains none of the words the rubric names in double quotes (case-insensitive);
// score 1 or 0, and a reason naming the word found.
// Embeddings (POST /v1/embeddings, OpenAI's format, for the `similar` assertion): a deterministic hashed bag of words,
// each lower-cased word (letters and digits) adds 1 to one of 256 dimensions picked by the first bytes of its
// sha256, and the vector is normalised; texts that share words are close, texts without common words orthogonal.
// `encoding_format` `float` answers arrays, `base64` (what the SDK asks by default) little-endian float32 bytes.
//
// Tests make it misbehave: `fail({...})` queues faults that the next calls consume (a status with Retry-After, a
// delay, a cut connection, malformed JSON, an answer that ignores the schema).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';

type ModelServerFault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'cut' }
  | { kind: 'malformed' }
  | { kind: 'ignore-schema' };

export type WireFormat = 'openai' | 'anthropic' | 'bedrock';

export interface ModelServerOptions {
  /** The API key every format expects (bearer for OpenAI and Bedrock API keys, x-api-key for Anthropic). */
  apiKey: string;
  port?: number;
  /** The HTTP/2 port of the Bedrock format (default: any free one). */
  bedrockPort?: number;
  /** Fixed latency of every call (default: 20-50 ms from a hash of the prompt). */
  latencyMs?: number;
}

export interface ModelServer {
  port: number;
  /** `127.0.0.1:<port>` of the HTTP/1.1 listener (OpenAI, Anthropic). */
  host: string;
  /** The base URL of a format: OpenAI's ends in /v1, Anthropic's and Bedrock's are the origin. */
  baseUrl(format: WireFormat): string;
  /** Queues faults: each is used by one call, in order, whatever its format. */
  fail(...faults: ModelServerFault[]): void;
  /** Calls received per format (refused ones included). */
  calls(format?: WireFormat): number;
  /** The most calls in flight at once. */
  peakInFlight(): number;
  /** Every request header received, for tests that check what an SDK sent. */
  lastHeaders(): Record<string, string | string[] | undefined>;
  stop(): Promise<void>;
}

type Body = Record<string, unknown>;

const isRecord = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
const tokenCount = (text: string) => Math.max(1, Math.ceil(text.length / 4));
const digest = (text: string) => createHash('sha256').update(text).digest();

/** A judge's verdict on a rubric prompt, or null when the prompt is not a judge's. */
function judgeAnswer(prompt: string, properties: Body): Body | null {
  if (!('pass' in properties) && !('score' in properties)) return null;
  const rubric = /<rubric>([\s\S]*?)<\/rubric>/.exec(prompt)?.[1];
  const output = /<output>([\s\S]*?)<\/output>/.exec(prompt)?.[1];
  if (rubric === undefined || output === undefined) return null;
  const words = [...rubric.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '').filter((w) => w !== '');
  const found = words.find((w) => output.toLowerCase().includes(w.toLowerCase()));
  return found === undefined
    ? { pass: true, score: 1, reason: 'the output contains none of the words the rubric names' }
    : { pass: false, score: 0, reason: `the output contains "${found}"` };
}

/** Dimensions of the local embeddings. */
const EMBEDDING_DIMENSIONS = 256;

/** The local embedding of a text: a normalised hashed bag of its lower-cased words. */
export function localEmbedding(text: string): Float32Array {
  const vector = new Float32Array(EMBEDDING_DIMENSIONS);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const dimension = digest(word).readUInt16BE(0) % EMBEDDING_DIMENSIONS;
    vector[dimension] = (vector[dimension] as number) + 1;
  }
  let norm = 0;
  for (const x of vector) norm += x * x;
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / Math.sqrt(norm);
  return vector;
}

/** The answer object for a prompt: the contract's properties filled, `label` derived from the prompt. */
function deterministicAnswer(prompt: string, contract: unknown): Body {
  const schema = isRecord(contract) ? contract : {};
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const judged = judgeAnswer(prompt, properties);
  const labelSchema = isRecord(properties.label) ? properties.label : {};
  const labels = Array.isArray(labelSchema.enum)
    ? labelSchema.enum.filter((l): l is string => typeof l === 'string')
    : [];
  const lower = prompt.toLowerCase();
  const named = labels.find((l) => lower.includes(l.toLowerCase()));
  const h = digest(prompt);
  const label = named ?? labels[h.readUInt32BE(0) % Math.max(1, labels.length)] ?? 'general';
  const answer: Body = judged ?? {
    label,
    confidence: named ? 0.92 : 0.61,
    rationale: `derived from ${tokenCount(prompt)} tokens`,
  };
  for (const [name, spec] of Object.entries(properties)) {
    if (name in answer || !isRecord(spec)) continue;
    if (spec.const !== undefined) answer[name] = spec.const;
    else if (Array.isArray(spec.enum)) answer[name] = spec.enum[0];
    else if (spec.type === 'string') answer[name] = 'local';
    else if (spec.type === 'number') answer[name] = 0.5;
    else if (spec.type === 'integer') answer[name] = 1;
    else if (spec.type === 'boolean') answer[name] = true;
    else if (spec.type === 'array') answer[name] = [];
    else answer[name] = {};
  }
  if (schema.additionalProperties === false)
    for (const name of Object.keys(answer)) if (!(name in properties)) delete answer[name];
  return answer;
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const faults: ModelServerFault[] = [];
  const counts: Record<WireFormat, number> = { openai: 0, anthropic: 0, bedrock: 0 };
  let inFlight = 0;
  let peak = 0;
  let lastHeaders: IncomingMessage['headers'] = {};
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

  /** OpenAI's embeddings answer: `input` is a string or a list of strings; `model` is required. */
  const sendEmbeddings = (res: ServerResponse, body: Body) => {
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    if (typeof body.model !== 'string' || body.model === '')
      return send(res, 400, {
        error: {
          message: 'you must provide a model parameter',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => typeof i === 'string'))
      return send(res, 400, {
        error: {
          message: "'input' must be a string or a list of strings",
          type: 'invalid_request_error',
          param: 'input',
          code: null,
        },
      });
    const base64 = body.encoding_format === 'base64';
    let tokens = 0;
    const data = inputs.map((text, index) => {
      tokens += tokenCount(text);
      const vector = localEmbedding(text);
      return {
        object: 'embedding',
        index,
        embedding: base64
          ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
          : [...vector],
      };
    });
    return send(res, 200, {
      object: 'list',
      data,
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const formatOf = (method: string | undefined, path: string): WireFormat | null => {
    if (method !== 'POST') return null;
    if (path === '/v1/chat/completions') return 'openai';
    if (path === '/v1/messages') return 'anthropic';
    if (path === '/v1/embeddings') return 'openai';
    if (/^\/model\/[^/]+\/converse$/.test(path)) return 'bedrock';
    return null;
  };

  /** The refusal of a request a real service would refuse, in that service's error shape; null when it is valid. */
  const refusal = (format: WireFormat, req: IncomingMessage, body: Body | null) => {
    const h = req.headers;
    if (format === 'openai') {
      const error = (status: number, message: string, code: string | null) => ({
        status,
        body: { error: { message, type: 'invalid_request_error', param: null, code } },
        headers: {},
      });
      if (h.authorization !== `Bearer ${options.apiKey}`)
        return error(401, 'Incorrect API key provided.', 'invalid_api_key');
      if (body === null) return error(400, 'We could not parse the JSON body of your request.', null);
      if (typeof body.model !== 'string' || body.model === '')
        return error(400, 'you must provide a model parameter', null);
      if (!Array.isArray(body.messages)) return error(400, "Missing required parameter: 'messages'.", null);
      return null;
    }
    if (format === 'anthropic') {
      const error = (status: number, type: string, message: string) => ({
        status,
        body: { type: 'error', error: { type, message } },
        headers: {},
      });
      if (h['x-api-key'] !== options.apiKey && h.authorization !== `Bearer ${options.apiKey}`)
        return error(401, 'authentication_error', 'invalid x-api-key');
      if (typeof h['anthropic-version'] !== 'string')
        return error(400, 'invalid_request_error', 'anthropic-version: header is required');
      if (body === null) return error(400, 'invalid_request_error', 'invalid JSON body');
      for (const field of ['model', 'max_tokens', 'messages'])
        if (body[field] === undefined) return error(400, 'invalid_request_error', `${field}: Field required`);
      return null;
    }
    const error = (status: number, type: string, message: string) => ({
      status,
      body: { message },
      headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
    });
    const auth = typeof h.authorization === 'string' ? h.authorization : '';
    if (auth === '') return error(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (auth.startsWith('Bearer ') && auth !== `Bearer ${options.apiKey}`)
      return error(403, 'AccessDeniedException', 'Invalid API Key format: Must start with pre-defined prefix');
    if (!auth.startsWith('Bearer ') && !auth.startsWith('AWS4-HMAC-SHA256 '))
      return error(403, 'IncompleteSignatureException', 'Authorization header requires a Signature');
    if (body === null || !Array.isArray(body.messages))
      return error(400, 'ValidationException', 'The model returned the following errors: messages is required');
    return null;
  };

  const promptOf = (format: WireFormat, body: Body): string => {
    const messages = Array.isArray(body.messages) ? body.messages : [];
    return messages
      .map((m) => {
        if (!isRecord(m)) return '';
        if (typeof m.content === 'string') return m.content;
        if (Array.isArray(m.content))
          return m.content.map((c) => (isRecord(c) && typeof c.text === 'string' ? c.text : '')).join('');
        return '';
      })
      .join('\n')
      .concat(format === 'bedrock' ? '' : '');
  };

  const contractOf = (format: WireFormat, body: Body): unknown => {
    if (format === 'openai') {
      const rf = isRecord(body.response_format) ? body.response_format : {};
      return isRecord(rf.json_schema) ? rf.json_schema.schema : undefined;
    }
    if (format === 'anthropic') {
      const tool = Array.isArray(body.tools) ? body.tools[0] : undefined;
      return isRecord(tool) ? tool.input_schema : undefined;
    }
    const config = isRecord(body.toolConfig) ? body.toolConfig : {};
    const tool = Array.isArray(config.tools) ? config.tools[0] : undefined;
    const spec = isRecord(tool) && isRecord(tool.toolSpec) ? tool.toolSpec : {};
    return isRecord(spec.inputSchema) ? spec.inputSchema.json : undefined;
  };

  const answer = (format: WireFormat, body: Body, model: string, ignoreSchema: boolean) => {
    const prompt = promptOf(format, body);
    const contract = contractOf(format, body);
    const object = deterministicAnswer(prompt, contract);
    const structured = contract !== undefined && !ignoreSchema;
    const text = ignoreSchema ? `I think this is about ${String(object.label)}.` : JSON.stringify(object);
    const inputTokens = tokenCount(prompt) + 8;
    const outputTokens = tokenCount(text);
    if (format === 'openai')
      return {
        id: `chatcmpl-${digest(prompt).toString('hex').slice(0, 24)}`,
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: {
          prompt_tokens: inputTokens,
          completion_tokens: outputTokens,
          total_tokens: inputTokens + outputTokens,
        },
      };
    if (format === 'anthropic')
      return {
        id: `msg_${digest(prompt).toString('hex').slice(0, 24)}`,
        type: 'message',
        role: 'assistant',
        model,
        content: structured
          ? [
              {
                type: 'tool_use',
                id: `toolu_${digest(text).toString('hex').slice(0, 20)}`,
                name: 'answer',
                input: object,
              },
            ]
          : [{ type: 'text', text }],
        stop_reason: structured ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens },
      };
    return {
      output: {
        message: {
          role: 'assistant',
          content: structured
            ? [
                {
                  toolUse: {
                    toolUseId: `tooluse_${digest(text).toString('hex').slice(0, 20)}`,
                    name: 'answer',
                    input: object,
                  },
                },
              ]
            : [{ text }],
        },
      },
      stopReason: structured ? 'tool_use' : 'end_turn',
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      metrics: { latencyMs: 0 },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const format = formatOf(req.method, path);
    if (format === null) return send(res, 404, { message: `no route ${req.method} ${path}` });
    counts[format]++;
    lastHeaders = req.headers;
    let body: Body | null = null;
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      body = isRecord(parsed) ? parsed : null;
    } catch {
      body = null;
    }
    const refused = refusal(format, req, body);
    if (refused && !(path === '/v1/embeddings' && refused.status === 400 && body !== null))
      return send(res, refused.status, refused.body, refused.headers);
    if (path === '/v1/embeddings') return sendEmbeddings(res, body as Body);
    const request = body as Body;
    const model = format === 'bedrock' ? decodeURIComponent(path.split('/')[2] ?? '') : String(request.model);
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      const prompt = promptOf(format, request);
      await wait(options.latencyMs ?? 20 + (digest(prompt).readUInt32BE(4) % 31));
      const fault = faults.shift();
      if (fault?.kind === 'delay') await wait(fault.ms);
      if (fault?.kind === 'cut') {
        const stream = (req as unknown as { stream?: { close: (code: number) => void } }).stream;
        if (stream) stream.close(2);
        else req.socket.destroy();
        return;
      }
      if (fault?.kind === 'status') {
        const headers: Record<string, string> =
          fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
        if (format === 'bedrock')
          headers['x-amzn-errortype'] = fault.status === 429 ? 'ThrottlingException' : 'InternalServerException';
        const errorBody =
          format === 'openai'
            ? { error: { message: `status ${fault.status}`, type: 'server_error', param: null, code: null } }
            : format === 'anthropic'
              ? {
                  type: 'error',
                  error: { type: fault.status === 429 ? 'rate_limit_error' : 'api_error', message: 'fault' },
                }
              : { message: 'fault' };
        return send(res, fault.status, errorBody, headers);
      }
      if (fault?.kind === 'malformed') return send(res, 200, '{"id": "broken", "choices": [');
      return send(res, 200, answer(format, request, model, fault?.kind === 'ignore-schema'));
    } finally {
      inFlight--;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { message: 'model server error' }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const h2 = createHttp2Server((req, res) => {
    const r = req as unknown as IncomingMessage;
    const w = res as unknown as ServerResponse;
    handle(r, w).catch(() => send(w, 500, { message: 'model server error' }));
  });
  await new Promise<void>((resolve) => h2.listen(options.bedrockPort ?? 0, '127.0.0.1', resolve));
  const h2Port = (h2.address() as AddressInfo).port;
  const h2Sessions = new Set<{ destroy: () => void }>();
  h2.on('session', (session) => {
    h2Sessions.add(session);
    session.on('close', () => h2Sessions.delete(session));
  });
  return {
    port,
    host: `127.0.0.1:${port}`,
    baseUrl: (format) =>
      format === 'openai'
        ? `http://127.0.0.1:${port}/v1`
        : format === 'bedrock'
          ? `http://127.0.0.1:${h2Port}`
          : `http://127.0.0.1:${port}`,
    fail: (...more) => void faults.push(...more),
    calls: (format) => (format ? counts[format] : counts.openai + counts.anthropic + counts.bedrock),
    peakInFlight: () => peak,
    lastHeaders: () => ({ ...lastHeaders }),
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      for (const session of h2Sessions) session.destroy();
      await Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => h2.close(() => resolve())),
      ]);
    },
  };
}
