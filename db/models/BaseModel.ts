/**
 * The one base of every model: camelCase fields over snake_case columns (the knex mappers do the
 * conversion), and created/updated timestamps kept by the model layer.
 */
import { Model, type ModelOptions, type QueryContext } from 'objection';

export class BaseModel extends Model {
  createdAt?: Date;
  updatedAt?: Date;

  /** Tables without an updated_at column (append-only logs) turn this off. */
  static readonly hasUpdatedAt: boolean = true;

  override $beforeUpdate(opt: ModelOptions, ctx: QueryContext): void | Promise<void> {
    if ((this.constructor as typeof BaseModel).hasUpdatedAt) this.updatedAt = new Date();
    return super.$beforeUpdate(opt, ctx);
  }
}
