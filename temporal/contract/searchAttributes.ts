/**
 * Custom search attributes that make the Web UI (and the admin API) filter workflows by
 * business keys. Registered on the namespace by the services script; workflows upsert them.
 * Workflow-safe: imports only @temporalio/common.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const PLATFORM = defineSearchAttributeKey('Platform', SearchAttributeType.KEYWORD);
export const TREND_STATUS = defineSearchAttributeKey('TrendStatus', SearchAttributeType.KEYWORD);
export const USER_ID = defineSearchAttributeKey('UserId', SearchAttributeType.INT);
export const BLOGGER_ID = defineSearchAttributeKey('BloggerId', SearchAttributeType.INT);

export const CUSTOM_SEARCH_ATTRIBUTES = [PLATFORM, TREND_STATUS, USER_ID, BLOGGER_ID];
