import { z } from 'zod';

/**
 * The JSON body of every REST error under /v1: the procedure's tRPC error code and message, with
 * the input problems on a 400. The host's own refusals there (CSRF, rate limits, unknown routes,
 * malformed JSON) send `code` and `message` only.
 */
export const restErrorSchema = z
  .object({
    code: z.string().meta({
      description:
        'The tRPC error code, the same one /trpc answers with: BAD_REQUEST and PARSE_ERROR (400), UNAUTHORIZED (401), ' +
        'PAYMENT_REQUIRED (402), FORBIDDEN (403), NOT_FOUND (404), PAYLOAD_TOO_LARGE (413), UNSUPPORTED_MEDIA_TYPE (415), ' +
        'TOO_MANY_REQUESTS (429), INTERNAL_SERVER_ERROR (500), SERVICE_UNAVAILABLE (503).',
      example: 'NOT_FOUND',
    }),
    message: z.string().meta({ description: 'What went wrong, for a person to read.', example: 'No such track' }),
    issues: z
      .array(
        z.object({
          code: z.string(),
          path: z.array(z.union([z.string(), z.number()])).meta({ description: 'Where in the input, e.g. `["supportGate", "type"]`.' }),
          message: z.string(),
        }),
      )
      .optional()
      .meta({ description: 'On an input validation failure (400): one entry per problem.' }),
    data: z
      .object({
        code: z.string(),
        httpStatus: z.number().int(),
        path: z.string().optional().meta({ description: 'The tRPC procedure behind the route, e.g. `tracks.update`.' }),
        zodError: z
          .object({ formErrors: z.array(z.string()), fieldErrors: z.record(z.string(), z.array(z.string())) })
          .nullable()
          .meta({ description: 'The same input problems grouped by field, as /trpc reports them.' }),
      })
      .optional()
      .meta({ description: 'Present when a procedure answered (not on the host refusals).' }),
  })
  .meta({ description: 'The body of every error answer under /v1.' });

export type RestErrorBody = z.infer<typeof restErrorSchema>;
