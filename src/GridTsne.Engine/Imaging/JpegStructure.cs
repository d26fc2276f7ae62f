using System.Buffers.Binary;

namespace GridTsne.Engine.Imaging;

/// <summary>
/// ImageSharp 2.1 decodes a truncated JPEG without complaint, filling the missing part with grey, which would
/// give a silently wrong embedding. This walk over the JPEG's markers finds whether the data reaches its
/// end-of-image marker; it reads no pixel data and runs in microseconds.
/// </summary>
internal static class JpegStructure
{
    private const byte MarkerPrefix = 0xFF;
    private const byte StartOfImage = 0xD8;
    private const byte EndOfImage = 0xD9;
    private const byte StartOfScan = 0xDA;
    private const byte Temporary = 0x01;
    private const byte FirstRestart = 0xD0;
    private const byte LastRestart = 0xD7;

    /// <summary>
    /// True when the segments and entropy-coded scans run, unbroken, up to an end-of-image marker (data
    /// after it, such as a camera's trailer, is allowed). A marker inside an EXIF thumbnail does not count:
    /// the walk skips whole segments by their lengths.
    /// </summary>
    public static bool ReachesEndOfImage(ReadOnlySpan<byte> data)
    {
        if (data.Length < 4 || data[0] != MarkerPrefix || data[1] != StartOfImage)
        {
            return false;
        }

        int position = 2;
        while (position + 1 < data.Length)
        {
            if (data[position] != MarkerPrefix)
            {
                return false;
            }

            byte marker = data[position + 1];
            if (marker == MarkerPrefix)
            {
                position++; // Fill byte before a marker.
                continue;
            }

            if (marker == EndOfImage)
            {
                return true;
            }

            if (marker == Temporary || marker is >= FirstRestart and <= LastRestart)
            {
                position += 2; // Markers without a length.
                continue;
            }

            if (position + 4 > data.Length)
            {
                return false;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 2)..]);
            int segmentEnd = position + 2 + length;
            if (length < 2 || segmentEnd > data.Length)
            {
                return false;
            }

            position = marker == StartOfScan ? SkipEntropyCodedData(data, segmentEnd) : segmentEnd;
            if (position < 0)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// Scan data escapes every 0xFF as FF 00 and may hold restart markers; the first other marker ends it.
    /// Returns that marker's position, or -1 when the data ends first.
    /// </summary>
    private static int SkipEntropyCodedData(ReadOnlySpan<byte> data, int start)
    {
        int position = start;
        while (true)
        {
            int found = data[position..].IndexOf(MarkerPrefix);
            if (found < 0 || position + found + 1 >= data.Length)
            {
                return -1;
            }

            position += found;
            byte next = data[position + 1];
            if (next == 0x00 || next is >= FirstRestart and <= LastRestart)
            {
                position += 2;
            }
            else if (next == MarkerPrefix)
            {
                position++;
            }
            else
            {
                return position;
            }
        }
    }
}
