//! A cheap walk over the directory chain of a TIFF file.
//!
//! Only the image file directories (IFDs) are read — a few hundred bytes per
//! page — never the pixel data. The walk tells how many pages a file holds,
//! where each page's directory starts, the size each page claims (so that
//! the pixel limit is checked before the decoder allocates anything) and its
//! resolution. Discovery uses it to tell multi-page TIFFs from single pages;
//! the decoder uses it to decode every page on its own, so that one corrupt
//! page does not hide the others.
//!
//! The same parser reads the EXIF block of a JPEG, which is a TIFF structure.

use std::collections::HashSet;
use std::io::{self, Read, Seek, SeekFrom};

/// The most directories a chain may hold before the walk gives up on it.
const MAX_DIRECTORIES: usize = 10_000;
/// The most entries one directory may hold (real files hold 10–30).
const MAX_ENTRIES: u64 = 4_096;

const TAG_NEW_SUBFILE_TYPE: u16 = 254;
const TAG_IMAGE_WIDTH: u16 = 256;
const TAG_IMAGE_LENGTH: u16 = 257;
const TAG_ORIENTATION: u16 = 274;
const TAG_X_RESOLUTION: u16 = 282;
const TAG_Y_RESOLUTION: u16 = 283;
const TAG_RESOLUTION_UNIT: u16 = 296;

/// The header of a TIFF file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub little_endian: bool,
    pub big_tiff: bool,
    pub first_ifd: u64,
}

/// What one directory says about its image.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Directory {
    /// Byte offset of the directory in the file.
    pub offset: u64,
    pub width: Option<u64>,
    pub height: Option<u64>,
    /// NewSubfileType; bit 0 marks a reduced-resolution copy (a thumbnail).
    pub subfile_type: u32,
    /// TIFF Orientation (1–8), 1 when absent.
    pub orientation: u16,
    pub x_resolution: Option<f64>,
    pub y_resolution: Option<f64>,
    /// 1 = no unit, 2 = inch (the default), 3 = centimetre.
    pub resolution_unit: u16,
}

impl Directory {
    /// A reduced-resolution copy of another page, not a page of its own.
    pub fn is_thumbnail(&self) -> bool {
        self.subfile_type & 1 == 1
    }

    /// Horizontal and vertical resolution in dots per inch, when the file
    /// states them with a unit.
    pub fn dpi(&self) -> (Option<f64>, Option<f64>) {
        let per_inch = match self.resolution_unit {
            2 => 1.0,
            3 => 2.54,
            _ => return (None, None),
        };
        (
            self.x_resolution.map(|r| r * per_inch),
            self.y_resolution.map(|r| r * per_inch),
        )
    }
}

/// The result of a walk: the directories that could be read, in chain
/// order, and why the chain ended early, if it did.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Chain {
    pub header: Header,
    pub directories: Vec<Directory>,
    /// Set when a directory after the first could not be read: the pages
    /// behind it cannot be located.
    pub broken: Option<String>,
}

impl Chain {
    /// The directories that are pages: every directory except
    /// reduced-resolution copies, unless the file holds nothing else.
    pub fn pages(&self) -> Vec<&Directory> {
        let full: Vec<&Directory> = self.directories.iter().filter(|d| !d.is_thumbnail()).collect();
        if full.is_empty() {
            self.directories.iter().collect()
        } else {
            full
        }
    }
}

/// Why a walk could not even start.
#[derive(Debug)]
pub(crate) enum WalkError {
    /// Not a TIFF signature.
    NotTiff,
    /// The file ends inside the header or the first directory.
    Truncated,
    /// The first directory is unreadable for another reason.
    Corrupt(String),
    Io(io::Error),
}

fn eof_or_io(e: io::Error) -> WalkError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        WalkError::Truncated
    } else {
        WalkError::Io(e)
    }
}

/// Whether these first bytes are a TIFF signature.
pub(crate) fn is_tiff_signature(bytes: &[u8]) -> bool {
    matches!(bytes, [b'I', b'I', 42 | 43, 0, ..] | [b'M', b'M', 0, 42 | 43, ..])
}

struct Reader<'a, R> {
    r: &'a mut R,
    little: bool,
    len: u64,
}

impl<R: Read + Seek> Reader<'_, R> {
    fn u16_at(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }
    }
    fn u32_at(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    }
    fn u64_at(&self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        if self.little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if offset.checked_add(buf.len() as u64).is_none_or(|end| end > self.len) {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.r.seek(SeekFrom::Start(offset))?;
        self.r.read_exact(buf)
    }
}

/// Reads the header of a TIFF stream.
pub(crate) fn read_header<R: Read + Seek>(r: &mut R) -> Result<(Header, u64), WalkError> {
    let len = r.seek(SeekFrom::End(0)).map_err(WalkError::Io)?;
    r.seek(SeekFrom::Start(0)).map_err(WalkError::Io)?;
    let mut head = [0u8; 16];
    let n = read_up_to(r, &mut head).map_err(WalkError::Io)?;
    if n < 4 || !is_tiff_signature(&head[..n]) {
        return Err(if n < 4 && is_prefix_of_signature(&head[..n]) { WalkError::Truncated } else { WalkError::NotTiff });
    }
    let little = head[0] == b'I';
    let rd = Reader { r, little, len };
    let big_tiff = rd.u16_at(&head[2..4]) == 43;
    let first_ifd = if big_tiff {
        if n < 16 {
            return Err(WalkError::Truncated);
        }
        if rd.u16_at(&head[4..6]) != 8 {
            return Err(WalkError::Corrupt("unsupported BigTIFF offset size".into()));
        }
        rd.u64_at(&head[8..16])
    } else {
        if n < 8 {
            return Err(WalkError::Truncated);
        }
        u64::from(rd.u32_at(&head[4..8]))
    };
    Ok((Header { little_endian: little, big_tiff, first_ifd }, len))
}

fn is_prefix_of_signature(b: &[u8]) -> bool {
    !b.is_empty() && (b"II*\0".starts_with(b) || b"MM\0*".starts_with(b) || b"II+\0".starts_with(b) || b"MM\0+".starts_with(b))
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Walks the whole directory chain. Fails only when the header or the first
/// directory cannot be read; a later unreadable directory ends the chain and
/// is reported in [`Chain::broken`].
pub(crate) fn walk<R: Read + Seek>(r: &mut R) -> Result<Chain, WalkError> {
    walk_limited(r, MAX_DIRECTORIES)
}

/// Like [`walk`], reading at most `max` directories.
pub(crate) fn walk_limited<R: Read + Seek>(r: &mut R, max: usize) -> Result<Chain, WalkError> {
    let (header, len) = read_header(r)?;
    let mut rd = Reader { r, little: header.little_endian, len };
    let mut directories = Vec::new();
    let mut seen = HashSet::new();
    let mut next = header.first_ifd;
    let mut broken = None;
    while next != 0 && directories.len() < max {
        if !seen.insert(next) {
            broken = Some("the page directories form a loop".to_string());
            break;
        }
        match read_directory(&mut rd, header.big_tiff, next) {
            Ok((dir, after)) => {
                directories.push(dir);
                next = after;
            }
            Err(e) if directories.is_empty() => {
                return Err(match e {
                    DirError::Eof => WalkError::Truncated,
                    DirError::Io(e) => eof_or_io(e),
                    DirError::Corrupt(s) => WalkError::Corrupt(s),
                });
            }
            Err(e) => {
                broken = Some(match e {
                    DirError::Eof => "a page directory lies beyond the end of the file".to_string(),
                    DirError::Io(e) => format!("a page directory cannot be read: {e}"),
                    DirError::Corrupt(s) => s,
                });
                break;
            }
        }
    }
    if directories.len() >= max && next != 0 {
        broken = Some(format!("more than {max} page directories"));
    }
    Ok(Chain { header, directories, broken })
}

enum DirError {
    Eof,
    Io(io::Error),
    Corrupt(String),
}

impl From<io::Error> for DirError {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            DirError::Eof
        } else {
            DirError::Io(e)
        }
    }
}

/// Reads one directory; returns it and the offset of the next one (0: none).
fn read_directory<R: Read + Seek>(
    rd: &mut Reader<'_, R>,
    big: bool,
    offset: u64,
) -> Result<(Directory, u64), DirError> {
    let (count_len, entry_len, next_len) = if big { (8usize, 20usize, 8usize) } else { (2, 12, 4) };
    let mut cbuf = [0u8; 8];
    rd.read_at(offset, &mut cbuf[..count_len])?;
    let count = if big { rd.u64_at(&cbuf) } else { u64::from(rd.u16_at(&cbuf)) };
    if count == 0 || count > MAX_ENTRIES {
        return Err(DirError::Corrupt(format!("a page directory claims {count} entries")));
    }
    let mut entries = vec![0u8; count as usize * entry_len + next_len];
    rd.read_at(offset + count_len as u64, &mut entries)?;
    let mut dir = Directory { offset, orientation: 1, resolution_unit: 2, ..Directory::default() };
    let mut rationals = Vec::new();
    for e in entries[..count as usize * entry_len].chunks_exact(entry_len) {
        let tag = rd.u16_at(&e[0..2]);
        let typ = rd.u16_at(&e[2..4]);
        let (n, value) = if big { (rd.u64_at(&e[4..12]), &e[12..20]) } else { (u64::from(rd.u32_at(&e[4..8])), &e[8..12]) };
        if n == 0 {
            continue;
        }
        // The first value of a SHORT/LONG/LONG8 entry, which is stored inline.
        let scalar = || -> Option<u64> {
            match typ {
                3 => Some(u64::from(rd.u16_at(value))),
                4 | 13 => Some(u64::from(rd.u32_at(value))),
                16 | 18 if big => Some(rd.u64_at(value)),
                _ => None,
            }
        };
        match tag {
            TAG_IMAGE_WIDTH => dir.width = scalar(),
            TAG_IMAGE_LENGTH => dir.height = scalar(),
            TAG_NEW_SUBFILE_TYPE => dir.subfile_type = scalar().unwrap_or(0) as u32,
            TAG_ORIENTATION => dir.orientation = scalar().unwrap_or(1) as u16,
            TAG_RESOLUTION_UNIT => dir.resolution_unit = scalar().unwrap_or(2) as u16,
            TAG_X_RESOLUTION | TAG_Y_RESOLUTION if typ == 5 => {
                // A RATIONAL is 8 bytes: inline in BigTIFF, elsewhere in classic TIFF.
                if big {
                    let v = ratio(rd.u32_at(&value[0..4]), rd.u32_at(&value[4..8]));
                    if tag == TAG_X_RESOLUTION {
                        dir.x_resolution = v;
                    } else {
                        dir.y_resolution = v;
                    }
                } else {
                    rationals.push((tag, u64::from(rd.u32_at(value))));
                }
            }
            _ => {}
        }
    }
    let tail = &entries[count as usize * entry_len..];
    let next = if big { rd.u64_at(tail) } else { u64::from(rd.u32_at(tail)) };
    for (tag, at) in rationals {
        let mut b = [0u8; 8];
        // A resolution that cannot be read is treated as absent.
        if rd.read_at(at, &mut b).is_ok() {
            let v = ratio(rd.u32_at(&b[0..4]), rd.u32_at(&b[4..8]));
            if tag == TAG_X_RESOLUTION {
                dir.x_resolution = v;
            } else {
                dir.y_resolution = v;
            }
        }
    }
    Ok((dir, next))
}

fn ratio(n: u32, d: u32) -> Option<f64> {
    (d != 0).then(|| f64::from(n) / f64::from(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn signature() {
        assert!(is_tiff_signature(b"II*\0\x08\0\0\0"));
        assert!(is_tiff_signature(b"MM\0*"));
        assert!(!is_tiff_signature(b"\x89PNG"));
        assert!(matches!(walk(&mut Cursor::new(b"hello world".to_vec())), Err(WalkError::NotTiff)));
        assert!(matches!(walk(&mut Cursor::new(b"II*".to_vec())), Err(WalkError::Truncated)));
        assert!(matches!(walk(&mut Cursor::new(Vec::new())), Err(WalkError::NotTiff)));
    }

    #[test]
    fn loop_in_chain_is_reported() {
        // One directory whose next pointer points at itself.
        let mut b = b"II*\0\x08\0\0\0".to_vec();
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&256u16.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&[10, 0, 0, 0]);
        b.extend_from_slice(&8u32.to_le_bytes());
        let chain = walk(&mut Cursor::new(b)).unwrap();
        assert_eq!(chain.directories.len(), 1);
        assert_eq!(chain.directories[0].width, Some(10));
        assert!(chain.broken.unwrap().contains("loop"));
    }
}
