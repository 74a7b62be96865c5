/** The connection of `quotaWarningsHistory`. */
import { connectionType } from '../../../common/relay';
import { QuotaWarning } from '../entities/quota-warning';

export const QuotaWarningConnection = connectionType(QuotaWarning, 'QuotaWarning', 'quota warning');
