// The ID number check the resident forms share (the server checks again).
import { parseIdNumber } from '../../utils/idcard.js'

export const validId = (v) => parseIdNumber(String(v || '').trim().toUpperCase()).ok
