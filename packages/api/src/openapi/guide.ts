/** The document's description: how to authenticate, what errors look like, and a track's life in curl. */
export function restGuide(publicUrl: string): string {
  const api = `${publicUrl}/v1`;
  return `The plyr API for any language: every route here is the tRPC procedure named in its operation
(\`tracks.update\` is \`PATCH /v1/tracks/{id}\`), generated from the same schemas, with the same
authentication, rate limits and error codes. TypeScript apps can use the typed SDK, \`@plyr/client\`.

## Authentication
Send \`Authorization: Bearer <token>\` with a developer token (\`plyr_dev_…\`). A signed-in user creates one
on the web page or with \`POST /v1/developer-tokens\`; it is shown once. Browsers may use the \`session_id\`
cookie instead; a state-changing request that carries the cookie from an origin that is not allowed is
refused with 403. An unknown, expired or revoked bearer token is refused with 401 on every route.

## Errors
Every error is JSON: \`{ "code": "NOT_FOUND", "message": "No such track" }\` (the \`Error\` schema). Bad
input is a 400 with \`issues\` (one per problem, with its \`path\`) and \`data.zodError.fieldErrors\`.

## Rate limits
Per account (or per address when signed out), in three groups: \`upload\` (\`POST /v1/uploads\`, finalize),
\`auth\` (\`POST /v1/developer-tokens\`) and \`default\` (everything else). Every answer carries
\`RateLimit\` and \`RateLimit-Policy\`; over the limit the answer is 429 with \`Retry-After\`.

## A track's life
With a developer token in \`$T\`:

\`\`\`sh
API=${api}
# 1. Ask for an upload URL (the audio never passes through the API)
curl -s $API/uploads -H "authorization: Bearer $T" -H 'content-type: application/json' \\
  -d "{\\"filename\\":\\"song.mp3\\",\\"contentType\\":\\"audio/mpeg\\",\\"size\\":$(stat -c%s song.mp3)}"
# 2. PUT the bytes to the presigned \`url\` it returned, with exactly the \`headers\` it returned
curl -X PUT -H 'Content-Type: audio/mpeg' --data-binary @song.mp3 "$URL"
# 3. Finalize: the track is stored and its fm.plyr.track record written to your PDS
curl -s $API/uploads/$UPLOAD/finalize -H "authorization: Bearer $T" -H 'content-type: application/json' \\
  -d '{"title":"My song"}'
# 4. Gate it: supporters only, at once; the audio moves to the private bucket in the background
curl -s -X PATCH $API/tracks/$ID -H "authorization: Bearer $T" -H 'content-type: application/json' \\
  -d '{"supportGate":{"type":"any"}}'
curl -sI ${publicUrl}/audio/$FILE_ID                                 # 401: gated, no credentials
curl -sI -H "authorization: Bearer $T" ${publicUrl}/audio/$FILE_ID   # 200 for the artist; GET → 307 to a presigned URL
# 5. Un-gate it: /audio redirects to the CDN again once the move is done (storage: "ready")
curl -s -X PATCH $API/tracks/$ID -H "authorization: Bearer $T" -H 'content-type: application/json' \\
  -d '{"supportGate":null}'
\`\`\`

Playing is not a REST route: \`GET ${publicUrl}/audio/{fileId}\` (a track's \`audioUrl\`) answers 307 to the
audio, 401 (gated, no credentials), 402 (not a supporter) or 503 with \`Retry-After\` (supporter check
unavailable).`;
}
