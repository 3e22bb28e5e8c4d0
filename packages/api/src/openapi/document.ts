import type { AnyTRPCProcedure } from '@trpc/server';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { appRouter } from '../root.js';
import type { Meta, RateLimitGroup } from '../trpc.js';
import { restErrorSchema } from './error-body.js';
import { examplesByProcedure } from './examples.js';
import { restGuide } from './guide.js';

/** Where the REST routes are mounted; the document's server URL ends with it. */
export const REST_BASE_PATH = '/v1';

type Method = NonNullable<Meta['openapi']>['method'];

/** A procedure published as a REST route: its tRPC path, HTTP method, route path and rate-limit group. */
export interface RestRoute {
  procedure: string;
  method: Method;
  /** Relative to REST_BASE_PATH, with `{param}` placeholders. */
  path: string;
  group: RateLimitGroup;
  protect: boolean;
}

// Typed like the nested router record, but at run time tRPC 11 keeps it flat: dotted path → procedure.
const flatProcedures = appRouter._def.procedures as unknown as Record<string, AnyTRPCProcedure>;

/** Every procedure that has a REST route, from the routers' `meta.openapi`. */
export const restRoutes: readonly RestRoute[] = Object.entries(flatProcedures).flatMap(([procedure, def]) => {
  const meta = def._def.meta as Meta | undefined;
  if (!meta?.openapi || meta.openapi.enabled === false) return [];
  const { method, path, protect = true } = meta.openapi;
  return [{ procedure, method, path, group: meta.rateLimitGroup ?? 'default', protect }];
});

const GROUP_VARIABLES: Record<RateLimitGroup, string> = {
  default: 'RATE_LIMIT_DEFAULT, 100/minute',
  auth: 'RATE_LIMIT_AUTH, 10/minute',
  upload: 'RATE_LIMIT_UPLOAD, 20/minute',
};

const errorContent = (code: string, message: string) => ({
  'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { code, message } },
});

const rateLimitHeaders = {
  RateLimit: { $ref: '#/components/headers/RateLimit' },
  'RateLimit-Policy': { $ref: '#/components/headers/RateLimit-Policy' },
};

/** Answers any route can give, whatever its procedure does. */
const COMMON_RESPONSES = {
  BadRequest: {
    description: 'Bad input: `issues` and `data.zodError.fieldErrors` say what and where',
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Error' },
        example: {
          code: 'BAD_REQUEST',
          message: 'Input validation failed',
          issues: [{ code: 'invalid_format', path: ['id'], message: 'must be a track id' }],
          data: { code: 'BAD_REQUEST', httpStatus: 400, path: 'tracks.byId', zodError: { formErrors: [], fieldErrors: { id: ['must be a track id'] } } },
        },
      },
    },
  },
  Unauthorized: { description: 'Sign in first, or the bearer token is unknown, expired or revoked', content: errorContent('UNAUTHORIZED', 'Sign in first') },
  CrossSite: { description: 'A cross-site request that carries the session cookie', content: errorContent('FORBIDDEN', 'Cross-site request refused') },
  PayloadTooLarge: { description: 'A request body over 1 MB', content: errorContent('PAYLOAD_TOO_LARGE', 'Request body too large') },
  UnsupportedMediaType: {
    description: 'A request body that is not `application/json`',
    content: errorContent('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content-type "text/plain'),
  },
  TooManyRequests: {
    description: 'Over the rate limit of the route\'s group',
    headers: { ...rateLimitHeaders, 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
    content: errorContent('TOO_MANY_REQUESTS', 'Too many requests: the default limit is 100/minute; retry in 42 s'),
  },
  InternalServerError: { description: 'A server fault (logged with the request id)', content: errorContent('INTERNAL_SERVER_ERROR', 'Internal server error') },
  ServiceUnavailable: {
    description: 'A backing service is unavailable; try again shortly',
    content: errorContent('SERVICE_UNAVAILABLE', 'A backing service is unavailable; try again shortly'),
  },
};

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  402: 'PAYMENT_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

const ref = (name: keyof typeof COMMON_RESPONSES) => ({ $ref: `#/components/responses/${name}` });

/**
 * The OpenAPI 3.1 document of the REST routes: trpc-to-openapi generates paths and schemas from the
 * procedures' zod input and output; this adds what the host does around them (credentials, the
 * error body, rate-limit headers) and the examples.
 */
export function createOpenApiDocument({ publicUrl, sessionCookie }: { publicUrl: string; sessionCookie: string }): OpenAPIObject {
  const base = publicUrl.replace(/\/+$/, '');
  const document = generateOpenApiDocument(appRouter, {
    title: 'plyr API',
    version: '1.0.0',
    description: restGuide(base),
    baseUrl: `${base}${REST_BASE_PATH}`,
    tags: ['tracks', 'supporters', 'downloads', 'auth'],
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'A developer token (`plyr_dev_…`), or the token `auth.exchange` returns in token mode.',
      },
      cookie: { type: 'apiKey', in: 'cookie', name: sessionCookie, description: 'The browser session set by `auth.exchange` in cookie mode.' },
    },
    defs: { Error: restErrorSchema },
  });

  const schemas = document.components!.schemas!;
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];
  document.components!.responses = COMMON_RESPONSES;
  document.components!.headers = {
    RateLimit: { description: 'Remaining quota of the group (IETF draft 8), e.g. `"default";r=99;t=60`', schema: { type: 'string' } },
    'RateLimit-Policy': { description: 'The group\'s limit (IETF draft 8), e.g. `"default";q=100;w=60`', schema: { type: 'string' } },
    'Retry-After': { description: 'Seconds until the group\'s window resets', schema: { type: 'integer' } },
  };

  const examples = examplesByProcedure(base);
  for (const route of restRoutes) {
    const meta = flatProcedures[route.procedure]!._def.meta as Meta;
    const operation = document.paths![route.path]![route.method.toLowerCase() as 'get']!;
    const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
    const hasInput = Boolean(operation.requestBody) || (operation.parameters?.length ?? 0) > 0;

    operation.description = [
      operation.description,
      `tRPC: \`${route.procedure}\`. Rate-limit group: \`${route.group}\` (${GROUP_VARIABLES[route.group]}).`,
    ]
      .filter(Boolean)
      .join('\n\n');
    // Public routes answer anyone; credentials, when sent, resolve `gated` for that viewer.
    operation.security = route.protect ? [{ bearer: [] }, { cookie: [] }] : [{}, { bearer: [] }, { cookie: [] }];

    const success = operation.responses!['200'];
    success.headers = rateLimitHeaders;
    const responses: Record<string, unknown> = {
      200: success,
      ...(hasInput ? { 400: ref('BadRequest') } : {}),
      401: ref('Unauthorized'),
      ...(hasBody ? { 403: ref('CrossSite'), 413: ref('PayloadTooLarge'), 415: ref('UnsupportedMediaType') } : {}),
      429: ref('TooManyRequests'),
      500: ref('InternalServerError'),
      503: ref('ServiceUnavailable'),
    };
    const specific = meta.openapi!.errorResponses;
    for (const [status, message] of Object.entries(Array.isArray(specific) ? {} : (specific ?? {}))) {
      const code = STATUS_CODES[Number(status)] ?? 'BAD_REQUEST';
      const description = hasBody && status === '403' ? `${message}; or a cross-site request that carries the session cookie` : message;
      responses[status] = { description, content: errorContent(code, message) };
    }
    operation.responses = responses;

    const named = Object.entries(examples.get(route.procedure) ?? {});
    if (named.length === 0) continue;
    success.content['application/json'].examples = Object.fromEntries(
      named.map(([name, example]) => [name, { summary: example.summary, value: example.output }]),
    );
    const pathParams = new Set((route.path.match(/\{(\w+)\}/g) ?? []).map((p) => p.slice(1, -1)));
    const body = operation.requestBody as { content: Record<string, { examples?: unknown }> } | undefined;
    if (body) {
      body.content['application/json']!.examples = Object.fromEntries(
        named
          .filter(([, example]) => example.input !== undefined)
          .map(([name, example]) => [name, { summary: example.summary, value: withoutKeys(example.input, pathParams) }]),
      );
    }
    const firstInput = named.find(([, example]) => example.input !== undefined)?.[1].input as Record<string, unknown> | undefined;
    for (const parameter of (operation.parameters ?? []) as Array<{ name: string; example?: unknown }>) {
      if (firstInput?.[parameter.name] !== undefined) parameter.example = firstInput[parameter.name];
    }
  }
  return document;
}

function withoutKeys(input: unknown, keys: Set<string>): unknown {
  return Object.fromEntries(Object.entries(input as Record<string, unknown>).filter(([key]) => !keys.has(key)));
}
