// /docs: the API console for integrators (Swagger UI, shipped with the build;
// nothing from a CDN). Signing in is a call like any other: POST /auth/token
// (or /auth/refresh) answered 200 authorizes every following call with its
// access token, so "try it out" works without copying the token by hand.
// Open a tag, then an operation: #/auth/issue_token links straight to it.
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import "swagger-ui-dist/swagger-ui.css";
import "./docs.css";

interface Reply {
  url: string;
  status: number;
  body?: { access_token?: string };
}

const SIGN_IN = /\/auth\/(token|refresh)$/;

const ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#docs",
  deepLinking: true,
  // 137 operations: the tags folded (all of them expanded at once render only in part)
  docExpansion: "none",
  tryItOutEnabled: true,
  persistAuthorization: false,
  displayRequestDuration: true,
  filter: true,
  responseInterceptor: (reply: Reply) => {
    const path = new URL(reply.url, window.location.origin).pathname;
    if (SIGN_IN.test(path) && reply.status === 200 && reply.body?.access_token) {
      ui.preauthorizeApiKey("bearerAuth", reply.body.access_token);
    }
    return reply;
  },
});
