import type { Response } from "express";

// How LINE's Messaging API answers a request it refuses (ErrorResponse in LINE's OpenAPI document):
// a message, and for a request body the problems, each with the property it concerns.
export interface ErrorDetail {
  message: string;
  property?: string;
}

export function lineError(res: Response, status: number, message: string, details: ErrorDetail[] = []): void {
  res.status(status).json(details.length > 0 ? { message, details } : { message });
}

export function invalidBody(res: Response, details: ErrorDetail[]): void {
  lineError(res, 400, `The request body has ${details.length} error(s)`, details);
}

// User ids as LINE gives them in webhook events; group and room ids for push.
export const USER_ID = /^U[0-9a-f]{32}$/;
export const CHAT_ID = /^[UCR][0-9a-f]{32}$/;
