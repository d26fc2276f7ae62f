using System.Runtime.CompilerServices;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// A JPEG Huffman table in canonical form (ITU T.81, C.2 and F.2.2.3): for each code length, the largest
/// code of that length and where its symbols start. Decodes any code, however long, one length at a time;
/// the look-up tables below use it for what they do not cover.
/// </summary>
internal sealed class CanonicalHuffmanCode
{
    private const int MaxLength = 16;
    private readonly int[] _maxCode = new int[MaxLength + 1];
    private readonly int[] _symbolOffset = new int[MaxLength + 1];
    private readonly byte[] _symbols;

    /// <param name="table">A DHT entry without its class/id byte: 16 counts, then the symbols.</param>
    public CanonicalHuffmanCode(string path, byte[] table)
    {
        _symbols = table[MaxLength..];
        int code = 0;
        int symbol = 0;
        for (int length = 1; length <= MaxLength; length++)
        {
            int count = table[length - 1];
            _symbolOffset[length] = symbol - code;
            code += count;
            symbol += count;
            _maxCode[length] = count > 0 ? code - 1 : -1;
            // As libjpeg: the codes of one length must fit, and the all-ones code is reserved.
            if (code >= 1 << length)
            {
                throw EighthScaleJpegDecoder.Corrupt(path, "one of its Huffman tables is invalid (more codes than fit)");
            }

            code <<= 1;
        }
    }

    /// <summary>Each code of up to <paramref name="bits"/> bits, by the bits that start with it: length &lt;&lt; 8 | symbol, 0 for none.</summary>
    public ushort[] LookAhead(int bits)
    {
        var lookup = new ushort[1 << bits];
        int code = 0;
        int symbol = 0;
        for (int length = 1; length <= bits; length++)
        {
            int count = _maxCode[length] < 0 ? 0 : _maxCode[length] + _symbolOffset[length] - symbol + 1;
            for (int index = 0; index < count; index++, code++, symbol++)
            {
                int first = code << (bits - length);
                lookup.AsSpan(first, 1 << (bits - length)).Fill((ushort)((length << 8) | _symbols[symbol]));
            }

            code <<= 1;
        }

        return lookup;
    }

    /// <summary>The signed value of <paramref name="magnitude"/> bits: a leading zero bit means a negative value (T.81 F.2.2.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Extend(int value, int magnitude) => value < 1 << (magnitude - 1) ? value - (1 << magnitude) + 1 : value;

    /// <summary>The symbol whose code starts <paramref name="bits"/> (most significant first), and the code's length: length &lt;&lt; 8 | symbol.</summary>
    public int Decode(ulong bits, string path)
    {
        for (int length = 1; length <= MaxLength; length++)
        {
            int code = (int)(bits >> (64 - length));
            if (code <= _maxCode[length])
            {
                int index = code + _symbolOffset[length];
                if ((uint)index < (uint)_symbols.Length)
                {
                    return (length << 8) | _symbols[index];
                }

                break;
            }
        }

        throw EighthScaleJpegDecoder.Corrupt(path, "the JPEG scan data is damaged (an invalid Huffman code)");
    }
}

/// <summary>
/// A Huffman table that decodes symbols: one look-up at the next bits for the codes that fit in them, the
/// canonical code for longer ones.
/// </summary>
internal sealed class HuffmanSymbolTable
{
    private readonly CanonicalHuffmanCode _code;
    private readonly ushort[] _lookup;
    private readonly int _shift;

    /// <param name="code">The table's codes (shared with a <see cref="HuffmanSkipTable"/> built from the same table).</param>
    /// <param name="lookAheadBits">Bits of the look-up (its table has 2^bits entries).</param>
    public HuffmanSymbolTable(CanonicalHuffmanCode code, int lookAheadBits)
    {
        _code = code;
        _lookup = _code.LookAhead(lookAheadBits);
        _shift = 64 - lookAheadBits;
    }

    /// <summary>The symbol whose code starts <paramref name="bits"/> (most significant first): code length &lt;&lt; 8 | symbol.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Decode(ulong bits, string path)
    {
        int entry = _lookup[(int)(bits >> _shift)];
        return entry != 0 ? entry : _code.Decode(bits, path);
    }
}

/// <summary>A DC table: decodes the difference to the previous block's DC coefficient.</summary>
internal sealed class HuffmanDcTable
{
    private const int LookAheadBits = 9;
    private const int MaxDifferenceBits = 11; // 8-bit samples: DC differences need at most 11 bits.
    private readonly HuffmanSymbolTable _symbols;

    private HuffmanDcTable(HuffmanSymbolTable symbols) => _symbols = symbols;

    public static HuffmanDcTable Build(string path, byte[] table) => new(new HuffmanSymbolTable(new CanonicalHuffmanCode(path, table), LookAheadBits));

    /// <summary>
    /// The DC difference whose code starts <paramref name="bits"/>, and how many bits code and value take:
    /// difference &lt;&lt; 8 | bits (a packed result, so that the caller's bit state needs no ref).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Decode(ulong bits, string path)
    {
        int entry = _symbols.Decode(bits, path);
        int length = entry >> 8;
        int magnitude = entry & 0xFF;
        int taken = length + magnitude;
        if (magnitude == 0)
        {
            return taken;
        }

        if (magnitude > MaxDifferenceBits)
        {
            throw EighthScaleJpegDecoder.Corrupt(path, $"the JPEG scan data is damaged (a DC difference of {magnitude} bits, more than {MaxDifferenceBits})");
        }

        int difference = CanonicalHuffmanCode.Extend((int)((bits << length) >> (64 - magnitude)), magnitude);
        return (difference << 8) | taken;
    }
}

/// <summary>
/// An AC table used only to find where a block's coefficients end, not what they are. One look-up at the
/// next <see cref="LookAheadBits"/> bits gives every whole symbol (code and magnitude bits) that fits in
/// them: how many bits they take, how many coefficient positions they advance, and whether an end-of-block
/// is among them; and the same for the first symbol alone, for the end of a block, where the later symbols
/// may belong to the next block. Codes too long for the look-up are decoded one at a time.
/// </summary>
internal sealed class HuffmanSkipTable
{
    internal const int LookAheadBits = 12;
    internal const int Coefficients = 64;
    private const int ZeroRun = 0xF0; // Sixteen zero coefficients.

    // Entry layout: bits taken (5 bits), positions (7 bits; + 1 when it ends the block), the same for the first symbol.
    private const int FirstShift = 12;
    private const int FieldMask = (1 << FirstShift) - 1;
    private const int BitsMask = 31;
    private const int EndsBlockFlag = 1 << 24;
    private const int FirstEndsBlockFlag = 1 << 25;

    private readonly CanonicalHuffmanCode _code;
    private readonly uint[] _steps;

    private HuffmanSkipTable(CanonicalHuffmanCode code, uint[] steps)
    {
        _code = code;
        _steps = steps;
    }

    public static HuffmanSkipTable Build(CanonicalHuffmanCode code)
    {
        ushort[] single = code.LookAhead(LookAheadBits);
        var steps = new uint[1 << LookAheadBits];
        const int Mask = (1 << LookAheadBits) - 1;
        for (int index = 0; index < steps.Length; index++)
        {
            int taken = 0;
            int positions = 0;
            uint entry = 0;
            for (int symbols = 0; ; symbols++)
            {
                int entryBits = single[(index << taken) & Mask];
                int length = entryBits >> 8;
                int symbol = entryBits & 0xFF;
                int magnitude = symbol & 15;
                if (entryBits == 0 || taken + length > LookAheadBits)
                {
                    break; // No code in the look-ahead.
                }

                if (taken + length + magnitude > LookAheadBits)
                {
                    if (symbols == 0)
                    {
                        // The code fits but its magnitude bits do not: the reader holds enough bits to skip both.
                        entry |= (uint)((length + magnitude) | (Advance(symbol) << 5)) << FirstShift;
                    }

                    break;
                }

                taken += length + magnitude;
                bool endsBlock = EndsBlockSymbol(symbol);
                // An end-of-block counts one position, so that it is used only while the block has one left.
                positions += endsBlock ? 1 : Advance(symbol);
                uint fields = (uint)(taken | (positions << 5));
                if (symbols == 0)
                {
                    entry |= (fields << FirstShift) | (endsBlock ? (uint)FirstEndsBlockFlag : 0);
                }

                entry = (entry & ~(uint)FieldMask) | fields | (endsBlock ? (uint)EndsBlockFlag : 0);
                if (endsBlock || positions >= Coefficients)
                {
                    break;
                }
            }

            steps[index] = entry;
        }

        return new HuffmanSkipTable(code, steps);
    }

    public uint[] Steps => _steps;

    /// <summary>The table's codes, for a <see cref="HuffmanSymbolTable"/> that decodes the same table's values.</summary>
    public CanonicalHuffmanCode Code => _code;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool HasWholeSymbols(uint entry) => (entry & BitsMask) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BitsTaken(uint entry) => (int)(entry & BitsMask);

    /// <summary>Coefficient positions the entry's whole symbols advance (an end-of-block counts one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Positions(uint entry) => (int)(entry >> 5) & 127;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool EndsBlock(uint entry) => (entry & EndsBlockFlag) != 0;

    /// <summary>
    /// Skips the one symbol that starts <paramref name="bits"/>, with its magnitude bits. Returns the coefficient
    /// after it (<see cref="Coefficients"/> at an end-of-block) &lt;&lt; 8 | the bits it takes.
    /// </summary>
    public int SkipOne(uint entry, ulong bits, string path, int coefficient)
    {
        uint first = entry >> FirstShift;
        if ((first & BitsMask) != 0)
        {
            int next = (entry & FirstEndsBlockFlag) != 0 ? Coefficients : coefficient + ((int)(first >> 5) & 127);
            return (next << 8) | (int)(first & BitsMask);
        }

        // A code longer than the look-ahead.
        int decoded = _code.Decode(bits, path);
        int symbol = decoded & 0xFF;
        int after = EndsBlockSymbol(symbol) ? Coefficients : coefficient + Advance(symbol);
        return (after << 8) | ((decoded >> 8) + (symbol & 15));
    }

    /// <summary>Whether an AC symbol ends its block: EOB, or any other zero-size symbol but the sixteen-zero run (as libjpeg reads them).</summary>
    private static bool EndsBlockSymbol(int symbol) => (symbol & 15) == 0 && symbol != ZeroRun;

    /// <summary>Coefficient positions a symbol that does not end its block advances: its run of zeros and its value, or sixteen zeros.</summary>
    private static int Advance(int symbol) => (symbol & 15) == 0 ? 16 : (symbol >> 4) + 1;
}
