// swagger-ui-dist ships no types: the little /docs uses of it.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  interface SwaggerUI {
    preauthorizeApiKey(scheme: string, value: string): void;
  }
  export default function SwaggerUIBundle(options: Record<string, unknown>): SwaggerUI;
}
