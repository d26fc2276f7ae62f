using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// Decodes a baseline (or extended sequential, 8-bit, Huffman-coded) JPEG straight to its 1/8-scale image,
/// ceil(W/8) x ceil(H/8) as libjpeg gives at 1/8, with libjpeg-turbo's arithmetic. At that scale each 8 x 8
/// luma block becomes one pixel, its DC coefficient, so its AC coefficients are only skipped, never decoded:
/// <see cref="HuffmanSkipTable"/> steps over several AC symbols per table look-up. That entropy skipping is
/// what a 1/8 decode costs (libjpeg-turbo decodes every AC value and runs a 1 x 1 inverse DCT), so this is
/// faster than libjpeg-turbo at the same scale. 4:2:0 chroma blocks cover 2 x 2 output pixels: as libjpeg-turbo
/// does, their AC values are decoded and <see cref="ReducedIdct"/> gives the 2 x 2 samples, already on the luma
/// grid. Other subsampled chroma (4:2:2, 4:4:0, 4:1:1) keeps its DC only, as in libjpeg-turbo, and is
/// upsampled to the luma grid linearly. YCbCr becomes RGB as JFIF says.
/// Anything else (progressive, arithmetic coding, 12-bit, CMYK/YCCK/RGB, non-interleaved colour scans)
/// is left to libjpeg-turbo: <see cref="TryDecode"/> returns null for it.
/// </summary>
internal static class EighthScaleJpegDecoder
{
    private const int BlockSize = 8;
    private const int MaxComponents = 3;
    private const int AcValueLookAheadBits = 10; // For the AC values of 4:2:0 chroma: 2 KB tables, most codes in one look-up.
    private const int PaddingBytes = 16; // Zeros after the scan data: ScanBits.Fill reads 8 bytes at any position up to its end, so at least 8.

    /// <summary>The 1/8-scale size libjpeg gives a <paramref name="width"/> x <paramref name="height"/> JPEG.</summary>
    public static Size ScaledSize(int width, int height) => new((width + BlockSize - 1) / BlockSize, (height + BlockSize - 1) / BlockSize);

    /// <summary>
    /// The 1/8-scale image of <paramref name="content"/> in stored orientation, or null when the JPEG's
    /// encoding is not one this decoder handles. Damaged data (invalid Huffman codes, scan data that ends
    /// early, restart markers out of order, missing tables) is refused with <see cref="ImageLoadException"/>.
    /// Work and memory are bounded by the frame size, which the caller has checked against the pixel limit.
    /// </summary>
    public static Image<Rgb24>? TryDecode(string path, ReadOnlySpan<byte> content, Configuration configuration, CancellationToken cancellationToken)
    {
        var header = new JpegHeader();
        if (!header.Read(path, content))
        {
            return null;
        }

        return new ScanDecoder(path, header).Decode(content, configuration, cancellationToken);
    }

    /// <summary>One frame component (Y, Cb or Cr): its sampling factors and tables.</summary>
    private sealed class Component
    {
        public int Id;
        public int Horizontal;
        public int Vertical;
        public int QuantizationTable;
        public int DcTable;
        public int AcTable;
    }

    /// <summary>The markers before the first scan: what the decoder needs of them, or why it declines.</summary>
    private sealed class JpegHeader
    {
        private const byte Prefix = 0xFF;

        public readonly Component[] Components = new Component[MaxComponents];
        /// <summary>Each quantization table, in natural (row-major) order; null until defined.</summary>
        public readonly int[]?[] Quantization = new int[4][];
        public readonly byte[]?[] DcTableData = new byte[4][];
        public readonly byte[]?[] AcTableData = new byte[4][];
        public int Width;
        public int Height;
        public int ComponentCount;
        /// <summary>The largest sampling factors across and down: an MCU is 8 times these in pixels.</summary>
        public int MaxHorizontal;
        public int MaxVertical;
        public int RestartInterval;
        public int ScanStart;
        private int? _adobeTransform;

        /// <summary>
        /// Reads the markers up to the first scan; false when the encoding is not baseline YCbCr or greyscale
        /// in one interleaved scan. Throws <see cref="ImageLoadException"/> for malformed tables.
        /// </summary>
        public bool Read(string path, ReadOnlySpan<byte> data)
        {
            bool hasFrame = false;
            int position = 2;
            while (position + 4 <= data.Length)
            {
                if (data[position] != Prefix)
                {
                    return false; // Not where a marker should be: libjpeg-turbo decides what the file is.
                }

                byte marker = data[position + 1];
                if (marker == Prefix)
                {
                    position++;
                    continue;
                }

                if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
                {
                    position += 2;
                    continue;
                }

                int length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
                if (length < 2 || position + 2 + length > data.Length)
                {
                    return false;
                }

                ReadOnlySpan<byte> payload = data.Slice(position + 4, length - 2);
                position += 2 + length;
                switch (marker)
                {
                    case 0xC0 or 0xC1: // Baseline, extended sequential Huffman.
                        if (hasFrame || !ReadFrame(payload))
                        {
                            return false;
                        }

                        hasFrame = true;
                        break;
                    case >= 0xC2 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC:
                        return false; // Progressive, lossless, hierarchical or arithmetic-coded.
                    case 0xC4:
                        ReadHuffmanTables(path, payload);
                        break;
                    case 0xDB:
                        ReadQuantizationTables(path, payload);
                        break;
                    case 0xDD:
                        if (payload.Length < 2)
                        {
                            throw Corrupt(path, "its restart interval segment is too short");
                        }

                        RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(payload);
                        break;
                    case 0xEE:
                        if (payload.Length >= 12 && payload.StartsWith("Adobe"u8))
                        {
                            _adobeTransform = payload[11];
                        }

                        break;
                    case 0xDA:
                        if (!hasFrame)
                        {
                            throw Corrupt(path, "its scan comes before any frame header");
                        }

                        ScanStart = position;
                        return ReadScanHeader(path, payload);
                    case 0xD8 or 0xD9:
                        return false;
                }
            }

            return false;
        }

        private bool ReadFrame(ReadOnlySpan<byte> payload)
        {
            if (payload.Length < 6 || payload[0] != 8)
            {
                return false; // 12-bit and 16-bit samples are libjpeg-turbo's.
            }

            Height = BinaryPrimitives.ReadUInt16BigEndian(payload[1..]);
            Width = BinaryPrimitives.ReadUInt16BigEndian(payload[3..]);
            ComponentCount = payload[5];
            if (Width == 0 || Height == 0 || ComponentCount is not (1 or 3) || payload.Length < 6 + (3 * ComponentCount))
            {
                return false; // A height defined later by DNL, CMYK and other component counts.
            }

            for (int index = 0; index < ComponentCount; index++)
            {
                ReadOnlySpan<byte> entry = payload.Slice(6 + (3 * index), 3);
                var component = new Component { Id = entry[0], Horizontal = entry[1] >> 4, Vertical = entry[1] & 15, QuantizationTable = entry[2] };
                if (component.Horizontal is < 1 or > 4 || component.Vertical is < 1 or > 4 || component.QuantizationTable > 3)
                {
                    return false;
                }

                Components[index] = component;
            }

            if (ComponentCount == 1)
            {
                // A single-component scan is not interleaved: one block is one unit, whatever the sampling factors.
                Components[0].Horizontal = Components[0].Vertical = 1;
            }

            MaxHorizontal = MaxVertical = 1;
            for (int index = 0; index < ComponentCount; index++)
            {
                MaxHorizontal = Math.Max(MaxHorizontal, Components[index].Horizontal);
                MaxVertical = Math.Max(MaxVertical, Components[index].Vertical);
            }

            return true;
        }

        private bool ReadScanHeader(string path, ReadOnlySpan<byte> payload)
        {
            if (payload.Length < 1 || payload.Length < 4 + (2 * payload[0]))
            {
                throw Corrupt(path, "its scan header is too short");
            }

            int scanComponents = payload[0];
            int spectralStart = payload[1 + (2 * scanComponents)];
            int spectralEnd = payload[2 + (2 * scanComponents)];
            int approximation = payload[3 + (2 * scanComponents)];
            if (scanComponents != ComponentCount || spectralStart != 0 || spectralEnd != 63 || approximation != 0)
            {
                return false; // Separate scans per component: libjpeg-turbo buffers them.
            }

            if (!IsYCbCrOrGrey())
            {
                return false;
            }

            for (int index = 0; index < scanComponents; index++)
            {
                int id = payload[1 + (2 * index)];
                int tables = payload[2 + (2 * index)];
                if (Components[index].Id != id)
                {
                    return false; // Scan order differs from frame order: rare enough to leave to libjpeg-turbo.
                }

                Components[index].DcTable = tables >> 4;
                Components[index].AcTable = tables & 15;
                if (Components[index].DcTable > 3 || Components[index].AcTable > 3
                    || DcTableData[Components[index].DcTable] is null || AcTableData[Components[index].AcTable] is null)
                {
                    throw Corrupt(path, $"its scan uses a Huffman table that is not defined (component {id})");
                }

                if (Quantization[Components[index].QuantizationTable] is null)
                {
                    throw Corrupt(path, $"its quantization table {Components[index].QuantizationTable} is not defined");
                }
            }

            for (int index = 0; index < ComponentCount; index++)
            {
                if (MaxHorizontal % Components[index].Horizontal != 0 || MaxVertical % Components[index].Vertical != 0)
                {
                    return false; // Fractional upsampling (such as 3:2) is libjpeg-turbo's.
                }
            }

            return true;
        }

        /// <summary>As libjpeg decides: Adobe's transform flag first, then component ids 'R', 'G', 'B'.</summary>
        private bool IsYCbCrOrGrey()
        {
            if (ComponentCount == 1)
            {
                return true;
            }

            if (_adobeTransform is { } transform)
            {
                return transform == 1;
            }

            return !(Components[0].Id == 'R' && Components[1].Id == 'G' && Components[2].Id == 'B');
        }

        private void ReadQuantizationTables(string path, ReadOnlySpan<byte> payload)
        {
            while (payload.Length > 0)
            {
                int precision = payload[0] >> 4;
                int id = payload[0] & 15;
                int size = precision == 0 ? 64 : 128;
                if (id > 3 || precision > 1 || payload.Length < 1 + size)
                {
                    throw Corrupt(path, "its quantization table segment is malformed");
                }

                // Luma needs only the DC entry at 1/8 scale, 4:2:0 chroma the entries of its 2 x 2 inverse DCT.
                var table = new int[64];
                for (int zigzag = 0; zigzag < 64; zigzag++)
                {
                    table[ReducedIdct.NaturalOrder[zigzag]] = precision == 0 ? payload[1 + zigzag] : BinaryPrimitives.ReadUInt16BigEndian(payload[(1 + (2 * zigzag))..]);
                }

                Quantization[id] = table;
                payload = payload[(1 + size)..];
            }
        }

        private void ReadHuffmanTables(string path, ReadOnlySpan<byte> payload)
        {
            while (payload.Length > 0)
            {
                if (payload.Length < 17)
                {
                    throw Corrupt(path, "its Huffman table segment is malformed");
                }

                int tableClass = payload[0] >> 4;
                int id = payload[0] & 15;
                int symbols = 0;
                for (int length = 1; length <= 16; length++)
                {
                    symbols += payload[length];
                }

                if (tableClass > 1 || id > 3 || symbols > 256 || payload.Length < 17 + symbols)
                {
                    throw Corrupt(path, "its Huffman table segment is malformed");
                }

                // Counts (16 bytes) then symbols, as in the segment; tables are built when the scan starts.
                byte[] table = payload.Slice(1, 16 + symbols).ToArray();
                if (tableClass == 0)
                {
                    DcTableData[id] = table;
                }
                else
                {
                    AcTableData[id] = table;
                }

                payload = payload[(17 + symbols)..];
            }
        }
    }

    /// <summary>Decodes the first scan's blocks into one 1/8-scale plane per component, then to RGB.</summary>
    private sealed class ScanDecoder
    {
        private readonly string _path;
        private readonly JpegHeader _header;
        private readonly int _mcusAcross;
        private readonly int _mcusDown;
        private readonly int _blocksPerMcu;
        private readonly BlockSlot[] _slots;
        private readonly int[] _predictors = new int[MaxComponents];

        public ScanDecoder(string path, JpegHeader header)
        {
            _path = path;
            _header = header;
            for (int index = 0; index < _header.ComponentCount; index++)
            {
                _blocksPerMcu += header.Components[index].Horizontal * header.Components[index].Vertical;
            }

            _mcusAcross = (header.Width + (BlockSize * header.MaxHorizontal) - 1) / (BlockSize * header.MaxHorizontal);
            _mcusDown = (header.Height + (BlockSize * header.MaxVertical) - 1) / (BlockSize * header.MaxVertical);

            // Components usually share tables (Cb and Cr do): each table is built once.
            var dcTables = new HuffmanDcTable?[4];
            var acTables = new HuffmanSkipTable?[4];
            var valueTables = new HuffmanSymbolTable?[4];
            var slots = new List<BlockSlot>(_blocksPerMcu);
            for (int index = 0; index < _header.ComponentCount; index++)
            {
                Component component = header.Components[index];
                HuffmanDcTable dc = dcTables[component.DcTable] ??= HuffmanDcTable.Build(path, header.DcTableData[component.DcTable]!);
                HuffmanSkipTable ac = acTables[component.AcTable] ??= HuffmanSkipTable.Build(new CanonicalHuffmanCode(path, header.AcTableData[component.AcTable]!));
                int[] quantization = header.Quantization[component.QuantizationTable]!;
                int scale = SamplesPerBlock(index);
                HuffmanSymbolTable? values = scale == 1 ? null : valueTables[component.AcTable] ??= new HuffmanSymbolTable(ac.Code, AcValueLookAheadBits);
                int[]? compactQuantization = scale == 1 ? null : ReducedIdct.CompactQuantization(quantization);
                int planeWidth = PlaneWidth(index);
                for (int blockY = 0; blockY < component.Vertical; blockY++)
                {
                    for (int blockX = 0; blockX < component.Horizontal; blockX++)
                    {
                        slots.Add(new BlockSlot(index, dc, ac, values, quantization[0], compactQuantization, planeWidth,
                            planeWidth * component.Vertical * scale, component.Horizontal * scale, (blockY * scale * planeWidth) + (blockX * scale)));
                    }
                }
            }

            _slots = [.. slots];
        }

        /// <summary>Samples per row of a component's plane: its blocks across all MCUs, padding included.</summary>
        private int PlaneWidth(int component) => _mcusAcross * _header.Components[component].Horizontal * SamplesPerBlock(component);

        /// <summary>
        /// Samples across (and down) each block of a component gives at 1/8 scale, as libjpeg-turbo scales it:
        /// 2 for chroma at half the luma resolution both ways (4:2:0), which then lands on the luma grid without
        /// upsampling; 1 (the DC) otherwise, since libjpeg-turbo's scaled DCT size must divide both sampling ratios.
        /// </summary>
        private int SamplesPerBlock(int component) =>
            _header.ComponentCount > 1 && _header.Components[component].Horizontal * 2 == _header.MaxHorizontal && _header.Components[component].Vertical * 2 == _header.MaxVertical
                ? 2 : 1;

        /// <summary>
        /// One block of an MCU, in scan order: its component, tables and DC quantizer, and where its samples go
        /// in the component's plane (MCU row * <paramref name="McuRowStep"/> + MCU column * <paramref name="McuColumnStep"/> + <paramref name="Offset"/>).
        /// A block with <paramref name="Values"/> has its AC values decoded and gives 2 x 2 samples (<see cref="ReducedIdct"/>,
        /// dequantized by <paramref name="CompactQuantization"/>); the others skip their AC coefficients and give their DC.
        /// </summary>
        private sealed record BlockSlot(int Component, HuffmanDcTable Dc, HuffmanSkipTable Ac, HuffmanSymbolTable? Values, int Quantization,
            int[]? CompactQuantization, int Stride, int McuRowStep, int McuColumnStep, int Offset);

        public Image<Rgb24> Decode(ReadOnlySpan<byte> content, Configuration configuration, CancellationToken cancellationToken)
        {
            int totalMcus = _mcusAcross * _mcusDown;
            int restartInterval = _header.RestartInterval > 0 ? _header.RestartInterval : totalMcus;
            int intervals = (totalMcus + restartInterval - 1) / restartInterval;
            // Every block takes two bits at least (a DC code and an end-of-block), so a frame header that claims
            // far more blocks than the data can hold is refused before anything is allocated for them.
            long blocks = (long)totalMcus * _blocksPerMcu;
            if (blocks * 2 > (long)(content.Length - _header.ScanStart) * 8)
            {
                throw Corrupt(_path, $"the JPEG data is truncated or damaged (its {content.Length - _header.ScanStart:N0} bytes of scan data "
                    + $"cannot hold the {blocks:N0} blocks of a {_header.Width} x {_header.Height} frame)");
            }

            byte[] scan = ArrayPool<byte>.Shared.Rent(content.Length - _header.ScanStart + PaddingBytes);
            int[] intervalStarts = ArrayPool<int>.Shared.Rent(intervals + 1);
            var planes = new byte[_header.ComponentCount][];
            try
            {
                int scanLength = Unstuff(content[_header.ScanStart..], scan, intervalStarts, intervals);
                scan.AsSpan(scanLength, PaddingBytes).Clear();
                for (int index = 0; index < _header.ComponentCount; index++)
                {
                    planes[index] = ArrayPool<byte>.Shared.Rent(PlaneWidth(index) * _mcusDown * _header.Components[index].Vertical * SamplesPerBlock(index));
                }

                for (int interval = 0; interval < intervals; interval++)
                {
                    int firstMcu = interval * restartInterval;
                    int mcus = Math.Min(restartInterval, totalMcus - firstMcu);
                    int end = interval + 1 < intervals ? intervalStarts[interval + 1] : scanLength;
                    DecodeInterval(scan, intervalStarts[interval], end, scanLength, firstMcu, mcus, planes, cancellationToken);
                }

                return ToRgb(planes, configuration);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scan);
                ArrayPool<int>.Shared.Return(intervalStarts);
                foreach (byte[]? plane in planes)
                {
                    if (plane is not null)
                    {
                        ArrayPool<byte>.Shared.Return(plane);
                    }
                }
            }
        }

        /// <summary>
        /// Copies the entropy-coded data into <paramref name="scan"/> without its byte stuffing (FF 00 is FF)
        /// and notes where each restart interval starts. Returns the data's length. The restart markers must
        /// count RST0..RST7 in turn; the scan ends at any other marker, or after the last interval expected.
        /// </summary>
        private int Unstuff(ReadOnlySpan<byte> source, byte[] scan, int[] intervalStarts, int intervals)
        {
            intervalStarts[0] = 0;
            int found = 1;
            int length = 0;
            int position = 0;
            while (true)
            {
                int run = source[position..].IndexOf((byte)0xFF);
                if (run < 0 || position + run + 1 >= source.Length)
                {
                    throw Corrupt(_path, "the JPEG data is truncated or damaged (its scan data has no end)");
                }

                source.Slice(position, run).CopyTo(scan.AsSpan(length));
                length += run;
                position += run;
                byte next = source[position + 1];
                if (next == 0x00)
                {
                    scan[length++] = 0xFF;
                    position += 2;
                }
                else if (next == 0xFF)
                {
                    position++; // Fill byte.
                }
                else if (next is >= 0xD0 and <= 0xD7)
                {
                    if (found == intervals)
                    {
                        return length; // A restart marker after the last interval: nothing more is needed.
                    }

                    int expected = 0xD0 + ((found - 1) & 7);
                    if (next != expected)
                    {
                        throw Corrupt(_path, $"the JPEG scan data is damaged (restart marker RST{next - 0xD0} where RST{expected - 0xD0} belongs)");
                    }

                    intervalStarts[found++] = length;
                    position += 2;
                }
                else
                {
                    if (found < intervals)
                    {
                        throw Corrupt(_path, $"the JPEG data is truncated or damaged (its scan ends after {found:N0} of {intervals:N0} restart intervals)");
                    }

                    return length;
                }
            }
        }

        /// <summary>
        /// Decodes the MCUs of one restart interval from <paramref name="start"/>; it must not read beyond
        /// <paramref name="end"/> (bits past it would be the next interval's, or padding: truncated data).
        /// Each block's DC difference is decoded; its AC coefficients are skipped, or decoded for the 2 x 2 inverse
        /// DCT of 4:2:0 chroma (refused when they run past the 64th). The bit state lives in locals,
        /// never passed by ref or out (a local whose address is taken lives in memory, not in a register).
        /// </summary>
        /// <remarks>
        /// Fully optimized from the first call: it runs once per photo (or restart interval) but loops for
        /// milliseconds, so tiered compilation would run the first few dozen photos in on-stack-replaced
        /// code that keeps the bit state in memory.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void DecodeInterval(byte[] scan, int start, int end, int scanLength, int firstMcu, int mcus, byte[][] planes,
            CancellationToken cancellationToken)
        {
            ulong bits = 0;
            int count = 0;
            int position = start;
            int[] predictors = _predictors;
            Array.Clear(predictors); // Each restart interval starts its DC predictions from zero.
            BlockSlot[] slots = _slots;
            Span<int> coefficients = stackalloc int[ReducedIdct.CompactCount];
            coefficients.Clear(); // Kept all zero between 4:2:0 chroma blocks.
            int mcuX = firstMcu % _mcusAcross;
            int mcuY = firstMcu / _mcusAcross;
            for (int mcu = 0; mcu < mcus; mcu++)
            {
                foreach (BlockSlot slot in slots)
                {
                    bits = ScanBits.Fill(scan, scanLength, bits, count, position);
                    position += (63 - count) >> 3;
                    count |= 56;
                    int decoded = slot.Dc.Decode(bits, _path);
                    int taken = decoded & 0xFF;
                    bits <<= taken;
                    count -= taken;
                    int predictor = predictors[slot.Component] += decoded >> 8;

                    if (slot.Values is not null)
                    {
                        // 4:2:0 chroma: the AC values too, for libjpeg-turbo's 2 x 2 inverse DCT (a call of its own,
                        // so that this loop's code, which luma runs, stays as tight as without it).
                        (bits, count, position) = DecodeReducedBlock(slot, predictor, scan, scanLength, bits, count, position,
                            planes[slot.Component], (mcuY * slot.McuRowStep) + (mcuX * slot.McuColumnStep) + slot.Offset, coefficients);
                        continue;
                    }

                    uint[] steps = slot.Ac.Steps;
                    int coefficient = 1;
                    do
                    {
                        bits = ScanBits.Fill(scan, scanLength, bits, count, position);
                        position += (63 - count) >> 3;
                        count |= 56;
                        // Unchecked: the index has LookAheadBits bits, and the table that many entries.
                        uint entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(steps), (nint)(bits >> (64 - HuffmanSkipTable.LookAheadBits)));
                        int advanced = coefficient + HuffmanSkipTable.Positions(entry);
                        if (HuffmanSkipTable.HasWholeSymbols(entry) && advanced <= HuffmanSkipTable.Coefficients)
                        {
                            taken = HuffmanSkipTable.BitsTaken(entry);
                            coefficient = HuffmanSkipTable.EndsBlock(entry) ? HuffmanSkipTable.Coefficients : advanced;
                        }
                        else
                        {
                            // Near the block's end (later symbols may be the next block's), or a code longer than the look-up.
                            int skipped = slot.Ac.SkipOne(entry, bits, _path, coefficient);
                            taken = skipped & 0xFF;
                            coefficient = skipped >> 8;
                        }

                        bits <<= taken;
                        count -= taken;
                    }
                    while (coefficient < HuffmanSkipTable.Coefficients);

                    planes[slot.Component][(mcuY * slot.McuRowStep) + (mcuX * slot.McuColumnStep) + slot.Offset] = DcSample(predictor, slot.Quantization);
                }

                if (++mcuX == _mcusAcross)
                {
                    mcuX = 0;
                    mcuY++;
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            long consumed = ((long)(position - start) * 8) - count;
            if (consumed > (long)(end - start) * 8)
            {
                throw Corrupt(_path, "the JPEG data is truncated or damaged (its scan data ends before its last block)");
            }
        }

        /// <summary>
        /// Decodes a 4:2:0 chroma block's AC values (its DC difference is decoded) and writes its 2 x 2 samples at
        /// <paramref name="offset"/> of <paramref name="plane"/>. Takes the bit state and returns it, in registers.
        /// <paramref name="coefficients"/> is all zeros before and after.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private (ulong Bits, int Count, int Position) DecodeReducedBlock(BlockSlot slot, int predictor, byte[] scan, int scanLength,
            ulong bits, int count, int position, byte[] plane, int offset, Span<int> coefficients)
        {
            HuffmanSymbolTable values = slot.Values!;
            int[] multipliers = slot.CompactQuantization!;
            bool transformed = false;
            sbyte[] compactIndex = ReducedIdct.CompactFromZigzag;
            int zigzag = 1;
            while (zigzag < HuffmanSkipTable.Coefficients)
            {
                bits = ScanBits.Fill(scan, scanLength, bits, count, position);
                position += (63 - count) >> 3;
                count |= 56;
                int symbol = values.Decode(bits, _path);
                int size = symbol & 15;
                int length = symbol >> 8;
                if (size == 0)
                {
                    bits <<= length;
                    count -= length;
                    if ((symbol & 0xF0) != 0xF0)
                    {
                        break; // End of block.
                    }

                    zigzag += 16; // Sixteen zeros.
                    continue;
                }

                zigzag += (symbol >> 4) & 15;
                if (zigzag >= HuffmanSkipTable.Coefficients)
                {
                    throw Corrupt(_path, "the JPEG scan data is damaged (a block with more than 64 coefficients)");
                }

                // The code and its size bits fit in the 56 bits filled: at most 16 + 15.
                int amplitude = CanonicalHuffmanCode.Extend((int)((bits << length) >> (64 - size)), size);
                bits <<= length + size;
                count -= length + size;
                int target = compactIndex[zigzag++];
                if (target >= 0)
                {
                    // libjpeg keeps coefficients as 16-bit values, then dequantizes.
                    coefficients[target] = (short)amplitude * multipliers[target];
                    transformed = true;
                }
            }

            if (transformed)
            {
                coefficients[0] = (short)predictor * multipliers[0];
                ReducedIdct.Transform(coefficients, plane, offset, slot.Stride);
                coefficients.Clear(); // Zeros for the next block.
            }
            else
            {
                // With no AC term it reads, the 2 x 2 transform gives the 1 x 1 one's value four times.
                plane[offset] = plane[offset + 1] = plane[offset + slot.Stride] = plane[offset + slot.Stride + 1] = DcSample(predictor, slot.Quantization);
            }

            return (bits, count, position);
        }

        /// <summary>libjpeg's 1 x 1 inverse DCT: the dequantized DC / 8, rounded, plus the level shift.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static byte DcSample(int predictor, int quantization) => ClampToByte(((((short)predictor * quantization) + 4) >> 3) + 128);

        /// <summary>
        /// The planes as one RGB image on the luma grid, then JFIF YCbCr to RGB. Planes already on it (luma, 4:4:4
        /// chroma, 4:2:0 chroma after its 2 x 2 transform) are read in place; other chroma is upsampled linearly first.
        /// </summary>
        private Image<Rgb24> ToRgb(byte[][] planes, Configuration configuration)
        {
            Size size = ScaledSize(_header.Width, _header.Height);
            var image = new Image<Rgb24>(configuration, size.Width, size.Height);
            var rows = new OutputRows[_header.ComponentCount];
            byte[]?[] upsampled = new byte[_header.ComponentCount][];
            try
            {
                for (int index = 0; index < _header.ComponentCount; index++)
                {
                    Component component = _header.Components[index];
                    // The samples that carry picture: ceil(component width / 8), the rest is MCU padding.
                    int scale = SamplesPerBlock(index);
                    int usedWidth = (((((_header.Width * component.Horizontal) + _header.MaxHorizontal - 1) / _header.MaxHorizontal) * scale) + BlockSize - 1) / BlockSize;
                    int usedHeight = (((((_header.Height * component.Vertical) + _header.MaxVertical - 1) / _header.MaxVertical) * scale) + BlockSize - 1) / BlockSize;
                    int horizontalFactor = _header.MaxHorizontal / (component.Horizontal * scale);
                    int verticalFactor = _header.MaxVertical / (component.Vertical * scale);
                    if (horizontalFactor == 1 && verticalFactor == 1)
                    {
                        rows[index] = new OutputRows(planes[index], PlaneWidth(index), usedHeight);
                        continue;
                    }

                    byte[] output = upsampled[index] = ArrayPool<byte>.Shared.Rent(size.Width * size.Height);
                    PlaneUpsampler.Upsample(planes[index], PlaneWidth(index), usedWidth, usedHeight, horizontalFactor, verticalFactor, output, size);
                    rows[index] = new OutputRows(output, size.Width, size.Height);
                }

                image.ProcessPixelRows(accessor =>
                {
                    for (int y = 0; y < size.Height; y++)
                    {
                        Span<Rgb24> row = accessor.GetRowSpan(y);
                        ReadOnlySpan<byte> luma = rows[0].Row(y, size.Width);
                        if (_header.ComponentCount == 1)
                        {
                            for (int x = 0; x < row.Length; x++)
                            {
                                row[x] = new Rgb24(luma[x], luma[x], luma[x]);
                            }
                        }
                        else
                        {
                            YCbCrConverter.ToRgb(luma, rows[1].Row(y, size.Width), rows[2].Row(y, size.Width), row);
                        }
                    }
                });
                return image;
            }
            catch
            {
                image.Dispose();
                throw;
            }
            finally
            {
                foreach (byte[]? plane in upsampled)
                {
                    if (plane is not null)
                    {
                        ArrayPool<byte>.Shared.Return(plane);
                    }
                }
            }
        }

        /// <summary>
        /// A component's samples on the output grid, <paramref name="Stride"/> per row; rows past <paramref name="Rows"/>
        /// (MCU padding below the picture) repeat the last one.
        /// </summary>
        private readonly record struct OutputRows(byte[] Samples, int Stride, int Rows)
        {
            public ReadOnlySpan<byte> Row(int y, int width) => Samples.AsSpan(Math.Min(y, Rows - 1) * Stride, width);
        }
    }

    /// <summary>A computed sample limited to 0..255, as libjpeg's range limit does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte ClampToByte(int value) => (byte)Math.Clamp(value, 0, 255);

    internal static ImageLoadException Corrupt(string path, string reason) =>
        new(path, ImageLoadFailure.Corrupt, reason.StartsWith("the JPEG", StringComparison.Ordinal) ? reason + "." : "the JPEG is damaged: " + reason + ".");
}

/// <summary>
/// Entropy-coded bits, most significant first, from data already freed of byte stuffing, held in a 64-bit
/// buffer whose state the decoding loop keeps in its own locals.
/// </summary>
internal static class ScanBits
{
    /// <summary>
    /// <paramref name="bits"/> (holding <paramref name="count"/>) topped up from <paramref name="position"/> with
    /// whole bytes (zeros once past <paramref name="length"/>, which must be followed by at least 8 bytes of padding);
    /// the caller then moves on by (63 - count) / 8 bytes and sets count |= 56, at least 56 bits (F. Giesen's branch-free refill). Done before every look-up: a test of the count would be a branch the
    /// processor mispredicts often.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Fill(byte[] data, int length, ulong bits, int count, int position)
    {
        if (position > length)
        {
            return bits; // Past the end: zeros.
        }

        // Unchecked read: position <= length, and the buffer holds at least 8 bytes after length.
        ulong next = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), position));
        return bits | ((BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(next) : next) >> count);
    }
}
