// The numbers of the zip format (PKWARE's APPNOTE.TXT) that the readers check, named once.

export const LOCAL_HEADER = {
  signature: 0x04034b50,
  /** The fixed part; the name and the extra field follow. */
  fixedBytes: 30,
} as const;

/** General purpose bit flags. */
export const ZIP_FLAG = { encrypted: 0x0001, dataDescriptor: 0x0008, strongEncryption: 0x0040, utf8: 0x0800 } as const;

export const ZIP_METHOD = { stored: 0, deflated: 8, aes: 99 } as const;

/** Extra field ids. */
export const ZIP_EXTRA = { zip64: 0x0001, extendedTimestamp: 0x5455, unicodePath: 0x7075 } as const;

/** A 32-bit size or offset at this value defers to the zip64 extra field. */
export const U32_MAX = 0xffffffff;
