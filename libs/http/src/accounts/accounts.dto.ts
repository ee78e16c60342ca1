import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PLATFORMS, type Platform } from '../../../domain';
import { IsStringRecord } from '../string-record';

/** `POST /v1/accounts`. Which credential fields a platform needs is checked by the registry. */
export class ConnectAccountBody {
  @IsIn(PLATFORMS, { message: `platform must be one of: ${PLATFORMS.join(', ')}` })
  platform!: Platform;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  name!: string;

  @IsStringRecord()
  credentials!: Record<string, string>;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  base_url?: string | null;
}
