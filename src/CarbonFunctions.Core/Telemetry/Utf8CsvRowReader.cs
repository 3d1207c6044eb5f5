using System.Runtime.CompilerServices;
using System.Text;

namespace CarbonFunctions.Core.Telemetry;

/// <summary>
/// Splits the CSV that nvidia-smi and hl-smi write into rows and fields, on the UTF-8 bytes as read (no decoding
/// to UTF-16: the values that matter are ASCII, and names are decoded only where a string is needed). These tools
/// never quote, so a quote is an ordinary character: a stray one makes one field unreadable (a problem on its line)
/// instead of swallowing the rest of the file or throwing, as a quote-aware parser does. Fields are located only
/// up to the last one asked for (<see cref="Read(int)"/>); the rest of the line is only counted. A line longer
/// than the limit (a garbage or NUL-padded tail without newlines) is reported and skipped, so memory stays bounded
/// by the buffer whatever the file holds.
/// </summary>
internal sealed class Utf8CsvRowReader
{
    /// <summary>Fields beyond this many are not told apart (a row of nvidia-smi has a few dozen at most).</summary>
    public const int MaxFields = 256;

    private const int BufferBytes = 512 * 1024;
    private readonly Stream _stream;
    private readonly int _maxLineLength;
    private readonly byte[] _buffer;
    private readonly int[] _fieldStarts = new int[MaxFields + 1];
    private int _position;
    private int _length;
    private bool _eof;
    private bool _started;
    private readonly bool _fileStart;
    private int _lineStart;
    private int _lineLength;
    private int _located;

    /// <param name="stream">The lines, from the file's start or (a part of a file read in parts) from a line's start.</param>
    /// <param name="maxLineLength">Longer lines are reported and skipped.</param>
    /// <param name="linesBefore">Lines of the file before the stream's first: line numbers count on from there.</param>
    /// <param name="fileStart">The stream starts the file, so a byte order mark there is skipped (elsewhere it is content).</param>
    public Utf8CsvRowReader(Stream stream, int maxLineLength, long linesBefore = 0, bool fileStart = true)
    {
        _stream = stream;
        _maxLineLength = maxLineLength;
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(BufferBytes, maxLineLength + 1));
        RowNumber = linesBefore;
        _fileStart = fileStart;
    }

    /// <summary>1-based number of the current line.</summary>
    public long RowNumber { get; private set; }

    /// <summary>Fields on the line (at most <see cref="MaxFields"/>, the last one holding the rest).</summary>
    public int FieldCount { get; private set; }

    /// <summary>False for a last line that has no newline (a file cut off while being written).</summary>
    public bool Terminated { get; private set; }

    /// <summary>True when the current line was longer than the limit; it has no fields then.</summary>
    public bool TooLong { get; private set; }

    /// <summary>The line without its end of line (and without a trailing CR).</summary>
    public ReadOnlySpan<byte> Line => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary>Field <paramref name="index"/>; only fields up to the one given to <see cref="Read(int)"/> are located.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> Field(int index)
    {
        if (index >= _located)
        {
            Locate(index + 1);
        }

        var start = _fieldStarts[index];
        return _buffer.AsSpan(start, _fieldStarts[index + 1] - start - 1);
    }

    /// <summary>A field as text, for the rare places that need a string (headers, messages).</summary>
    public string FieldText(int index) => Encoding.UTF8.GetString(Field(index));

    /// <summary>Moves to the next line, locating every field; false at the end.</summary>
    public bool Read() => Read(MaxFields);

    /// <summary>
    /// Moves to the next line and locates its first <paramref name="fields"/> fields (the others are counted, and
    /// located when asked for); false at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Read(int fields)
    {
        if (!_started)
        {
            _started = true;
            if (_fileStart)
            {
                SkipByteOrderMark();
            }
        }

        TooLong = false;
        while (true)
        {
            var pending = _buffer.AsSpan(_position, _length - _position);
            var newline = pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                if (newline > _maxLineLength)
                {
                    return SkipTooLong(newline);
                }

                Take(newline, terminated: true, fields);
                return true;
            }

            if (_eof)
            {
                if (pending.Length == 0)
                {
                    return false;
                }

                if (pending.Length > _maxLineLength)
                {
                    return SkipTooLong(pending.Length);
                }

                Take(pending.Length, terminated: false, fields);
                return true;
            }

            if (pending.Length > _maxLineLength)
            {
                // No newline within the limit: drop what is buffered and keep dropping until the next newline.
                RowNumber++;
                TooLong = true;
                FieldCount = 0;
                _located = 0;
                _lineStart = _position;
                _lineLength = 0;
                DiscardRestOfLine();
                Terminated = true;
                return true;
            }

            Fill();
        }
    }

    private void SkipByteOrderMark()
    {
        while (_length < 3 && !_eof)
        {
            Fill();
        }

        if (_buffer.AsSpan(0, _length).StartsWith("\uFEFF"u8))
        {
            _position = 3;
        }
    }

    private bool SkipTooLong(int length)
    {
        RowNumber++;
        TooLong = true;
        FieldCount = 0;
        _located = 0;
        Terminated = _position + length < _length;
        _lineStart = _position;
        _lineLength = 0;
        _position = Math.Min(_length, _position + length + 1);
        return true;
    }

    private void DiscardRestOfLine()
    {
        while (true)
        {
            _position = 0;
            _length = _stream.Read(_buffer, 0, _buffer.Length);
            if (_length == 0)
            {
                _eof = true;
                return;
            }

            var newline = _buffer.AsSpan(0, _length).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                _position = newline + 1;
                return;
            }
        }
    }

    private void Fill()
    {
        // Move the unfinished line to the front and read after it.
        var rest = _length - _position;
        if (_position > 0)
        {
            _buffer.AsSpan(_position, rest).CopyTo(_buffer);
            _position = 0;
            _length = rest;
        }

        var read = _stream.Read(_buffer, _length, _buffer.Length - _length);
        if (read == 0)
        {
            _eof = true;
        }

        _length += read;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Take(int length, bool terminated, int fields)
    {
        RowNumber++;
        Terminated = terminated;
        _lineStart = _position;
        var end = _position + length;
        _position = terminated ? end + 1 : end;
        if (length > 0 && _buffer[end - 1] == '\r')
        {
            end--;
        }

        _lineLength = end - _lineStart;
        _fieldStarts[0] = _lineStart;
        _located = 0;
        Locate(Math.Min(fields, MaxFields));
    }

    /// <summary>
    /// Finds field starts until the first <paramref name="wanted"/> fields are located or the line ends (then every
    /// field is). After the wanted ones, the commas are only counted, which is what <see cref="FieldCount"/> needs.
    /// <c>_fieldStarts[i]</c> is where field i starts; the entry after the last field is the line's end + 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Locate(int wanted)
    {
        var end = _lineStart + _lineLength;
        var located = _located;
        var start = _fieldStarts[located];
        if (start > end)
        {
            return; // the line's end was reached: every field is located
        }

        while (located < wanted)
        {
            var comma = located == MaxFields - 1 ? -1 : _buffer.AsSpan(start, end - start).IndexOf((byte)',');
            if (comma < 0)
            {
                located++;
                _fieldStarts[located] = end + 1;
                _located = located;
                FieldCount = located;
                return;
            }

            start += comma + 1;
            located++;
            _fieldStarts[located] = start;
        }

        _located = located;
        FieldCount = Math.Min(MaxFields, located + 1 + _buffer.AsSpan(start, end - start).Count((byte)','));
    }
}
