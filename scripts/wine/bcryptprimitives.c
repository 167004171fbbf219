/*
 * A stand-in for Windows' bcryptprimitives.dll, for running the project's Windows test binaries under
 * Debian 12's Wine 8 (scripts/wine.sh builds it into the Wine prefix; nothing ships it).
 *
 * Why: Rust's standard library (1.78 and later) takes its random numbers from ProcessPrng, which
 * bcryptprimitives.dll exports on Windows 10 and later. Wine added that export in Wine 9; Wine 8's
 * DLL lacks it, so every Rust program fails to start there ("Failed to load module
 * bcryptprimitives.dll", exit 53).
 *
 * What: ProcessPrng over RtlGenRandom (advapi32's SystemFunction036), which Wine 8 implements with the
 * host's random source. Only the test machine runs this; the app on real Windows uses the system's DLL.
 *
 * When it can go: once the Wine that Debian ships is 9 or newer (Debian 13 has Wine 10); scripts/wine.sh
 * builds it only when Wine is older than 9.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a ULONG: fill larger requests in pieces. */
    while (length > 0) {
        ULONG piece = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, piece))
            return FALSE;
        data += piece;
        length -= piece;
    }
    return TRUE;
}
