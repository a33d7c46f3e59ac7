import type { HttpClient, HttpMethod, QueryValue, RequestOptions } from "../http.js";
import type { PathFor } from "../openapi.js";
import { ListRequest, type ListQuery } from "../pagination.js";

export interface Send {
  /** Fills `{id}` in the path template. */
  id?: string;
  body?: unknown;
  /** The media type of a `Uint8Array` body. */
  contentType?: string | undefined;
  query?: object | undefined;
  options?: RequestOptions | undefined;
  as?: "json" | "text" | "bytes";
}

/**
 * A resource: one method per API operation. Every path is written as its OpenAPI template
 * and typed as a path of the generated types that has that method, so a route the server no
 * longer has fails to compile after `npm run gen`.
 */
export abstract class Resource {
  constructor(protected readonly http: HttpClient) {}

  protected send<T, M extends HttpMethod>(method: M, template: PathFor<Lowercase<M>>, init: Send = {}): Promise<T> {
    return this.http.request<T>({
      method,
      path: fill(template, init.id),
      query: init.query as Record<string, QueryValue> | undefined,
      body: init.body,
      contentType: init.contentType,
      options: init.options,
      as: init.as ?? "json",
    });
  }

  /** A list: awaited, one page (the envelope); iterated with `for await`, every item. */
  protected paginate<Page, Item>(
    template: PathFor<"get">,
    key: string,
    query: (ListQuery & object) | undefined,
    options: RequestOptions | undefined,
    id?: string,
  ): ListRequest<Page, Item> {
    return new ListRequest<Page, Item>(
      (page) => this.send<Page, "GET">("GET", template, { id, query: { ...query, ...page }, options }),
      key,
      query,
    );
  }
}

function fill(template: string, id: string | undefined): string {
  if (!template.includes("{id}")) return template;
  if (typeof id !== "string" || id === "") throw new TypeError(`${template}: an id is required`);
  return template.replace("{id}", encodeURIComponent(id));
}
