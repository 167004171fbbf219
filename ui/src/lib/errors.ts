import type { ErrorCode, ErrorInfo } from "../bindings/types";

/** Commands reject with an `ErrorInfo`; anything else (a bug, a lost IPC) becomes one too. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const info = e as Partial<ErrorInfo>;
    return {
      code: (typeof info.code === "string" ? info.code : "internal") as ErrorCode,
      message: String(info.message),
      hint: typeof info.hint === "string" ? info.hint : "Try again.",
      fields: info.fields,
      retry_after_secs: info.retry_after_secs,
      request_id: info.request_id,
    };
  }
  return { code: "internal", message: String(e), hint: "Try again; if it persists, restart the app." };
}
