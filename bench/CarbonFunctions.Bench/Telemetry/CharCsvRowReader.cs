namespace CarbonFunctions.Bench.Telemetry;

/// <summary>
/// The row splitter the telemetry reader used before it read UTF-8 bytes (kept here so that the benchmark compares
/// the new path with it): rows and fields over one reused buffer of UTF-16 text decoded by a StreamReader. These tools
/// never quote, so a quote is an ordinary character: a stray one makes one field unreadable (a problem on its
/// line) instead of swallowing the rest of the file or throwing, as a quote-aware parser does. A line longer
/// than the limit (a garbage or NUL-padded tail without newlines) is reported and skipped, so memory stays
/// bounded by the buffer whatever the file holds.
/// </summary>
internal sealed class CharCsvRowReader
{
    private const int MaxFields = 256;
    private readonly TextReader _reader;
    private readonly int _maxLineLength;
    private readonly char[] _buffer;
    private readonly int[] _fieldStarts = new int[MaxFields + 1];
    private int _position;
    private int _length;
    private bool _eof;
    private int _lineStart;
    private int _lineLength;

    public CharCsvRowReader(TextReader reader, int maxLineLength)
    {
        _reader = reader;
        _maxLineLength = maxLineLength;
        _buffer = new char[Math.Max(256 * 1024, maxLineLength + 1)];
    }

    /// <summary>1-based number of the current line.</summary>
    public long RowNumber { get; private set; }

    public int FieldCount { get; private set; }

    /// <summary>False for a last line that has no newline (a file cut off while being written).</summary>
    public bool Terminated { get; private set; }

    /// <summary>True when the current line was longer than the limit; it has no fields then.</summary>
    public bool TooLong { get; private set; }

    public ReadOnlySpan<char> Line => _buffer.AsSpan(_lineStart, _lineLength);

    public ReadOnlySpan<char> Field(int index)
    {
        var start = _fieldStarts[index];
        return _buffer.AsSpan(start, _fieldStarts[index + 1] - start - 1);
    }

    /// <summary>Moves to the next line; false at the end.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public bool Read()
    {
        TooLong = false;
        while (true)
        {
            var pending = _buffer.AsSpan(_position, _length - _position);
            var newline = pending.IndexOf('\n');
            if (newline >= 0)
            {
                if (newline > _maxLineLength)
                {
                    return SkipTooLong(newline);
                }

                Take(newline, terminated: true);
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

                Take(pending.Length, terminated: false);
                return true;
            }

            if (pending.Length > _maxLineLength)
            {
                // No newline within the limit: drop what is buffered and keep dropping until the next newline.
                RowNumber++;
                TooLong = true;
                FieldCount = 0;
                _lineStart = _position;
                _lineLength = 0;
                DiscardRestOfLine();
                Terminated = true;
                return true;
            }

            Fill();
        }
    }

    private bool SkipTooLong(int length)
    {
        RowNumber++;
        TooLong = true;
        FieldCount = 0;
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
            _length = _reader.Read(_buffer, 0, _buffer.Length);
            if (_length == 0)
            {
                _eof = true;
                return;
            }

            var newline = _buffer.AsSpan(0, _length).IndexOf('\n');
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

        var read = _reader.Read(_buffer, _length, _buffer.Length - _length);
        if (read == 0)
        {
            _eof = true;
        }

        _length += read;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void Take(int length, bool terminated)
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
        var fields = 0;
        var start = _lineStart;
        _fieldStarts[0] = start;
        var line = _buffer.AsSpan(start, end - start);
        while (true)
        {
            var comma = line.IndexOf(',');
            if (comma < 0 || fields == MaxFields - 1)
            {
                fields++;
                _fieldStarts[fields] = end + 1;
                break;
            }

            start += comma + 1;
            fields++;
            _fieldStarts[fields] = start;
            line = line[(comma + 1)..];
        }

        FieldCount = fields;
    }
}
