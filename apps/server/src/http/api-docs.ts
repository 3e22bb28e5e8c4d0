import { createRequire } from 'node:module';
import { Router, type RequestHandler } from 'express';
import { createOpenApiDocument } from '@plyr/api';
import { SESSION_COOKIE } from './session-cookie.js';

const require = createRequire(import.meta.url);

/**
 * The only relaxation of the API's `default-src 'none'`, and only on the /docs page: Swagger UI's
 * script and stylesheet from this origin, its inline SVG icons (data: images), and /openapi.json
 * plus "Try it out" requests to this origin. Nothing inline, nothing from another origin.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const DOCS_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>plyr API</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/docs/swagger-ui.css">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

// No validator badge (it would call validator.swagger.io) and no URL bar: this page shows this API only.
const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: 'none',
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

/** `GET /openapi.json` (OpenAPI 3.1, built once at start) and `GET /docs` (Swagger UI from its npm package). */
export function apiDocs(publicUrl: string): Router {
  const document = JSON.stringify(createOpenApiDocument({ publicUrl, sessionCookie: SESSION_COOKIE }));
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').set('Cache-Control', 'no-cache').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.set('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY).set('Cache-Control', 'no-cache').type('html').send(DOCS_PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('text/javascript').set('Cache-Control', 'no-cache').send(DOCS_INIT);
  });
  router.get('/docs/swagger-ui.css', packageFile('swagger-ui-dist/swagger-ui.css'));
  router.get('/docs/swagger-ui-bundle.js', packageFile('swagger-ui-dist/swagger-ui-bundle.js'));
  return router;
}

/** One file of an installed package; the rest of the package (its demo page points at a petstore) is not served. */
function packageFile(specifier: string): RequestHandler {
  const path = require.resolve(specifier);
  return (_req, res, next) => {
    // `dotfiles: 'allow'`: pnpm keeps packages under node_modules/.pnpm; the path is fixed, never the client's.
    res.sendFile(path, { maxAge: '1d', dotfiles: 'allow' }, (err) => err && next(err));
  };
}
