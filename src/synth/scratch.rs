//! Development helpers (ignored tests): sample generation, timing, page views.
#![allow(unused)]

#[cfg(test)]
mod scratch {
    #[test]
    #[ignore]
    fn scratch_generate() {
        let out = std::env::var("SYNTH_OUT").unwrap();
        let n = std::env::var("SYNTH_N").map(|v| v.parse().unwrap()).unwrap_or(5);
        let t = std::time::Instant::now();
        let s = super::super::generate(&super::super::SynthConfig { out_dir: out.into(), charts: n, seed: 11 }).unwrap();
        eprintln!("{s:?} in {:?}", t.elapsed());
    }
}
#[cfg(test)]
mod scratch_time {
    use super::super::*;
    #[test]
    #[ignore]
    fn scratch_timing() {
        let fonts = Fonts::load().unwrap();
        let plans = plan_corpus(3, 11);
        let chart = &plans[0];
        let page = &chart.pages[0];
        let mut rng = page_rng(11, 0, 1);
        let t = std::time::Instant::now();
        let img = match &page.content { Content::Doc(d) => render::draw_doc_pub(d, 300, &fonts, &mut rng), _ => panic!() };
        eprintln!("draw {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let r = render::rotate_pub(&img, 0.03);
        eprintln!("rotate {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let b = render::blur_pub(r.clone(), 0.8);
        eprintln!("blur {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let mut s = page.scan; s.skew_deg = 0.0; s.blur = 0.0; s.noise = 5.0; s.salt = 0.001;
        let d = render::damage_pub(b.clone(), &s, 300, &mut rng);
        eprintln!("damage(noise,lut,salt) {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let g = files::g4_encode(&d, 128);
        eprintln!("g4 {:?} {}", t.elapsed(), g.len());
        let t = std::time::Instant::now();
        let p = files::png_bytes(&files::Scanned::Gray(d.clone()), 300).unwrap();
        eprintln!("png {:?} {}", t.elapsed(), p.len());
        let t = std::time::Instant::now();
        let p = files::tiff_bytes(&d, 300).unwrap();
        eprintln!("tiff {:?} {}", t.elapsed(), p.len());
        let t = std::time::Instant::now();
        let p = files::jpeg_bytes(&files::Scanned::Gray(d.clone()), 300, 80).unwrap();
        eprintln!("jpeg {:?} {}", t.elapsed(), p.len());
        let t = std::time::Instant::now();
        let _ = files::tint(&d, 1.0);
        eprintln!("tint {:?}", t.elapsed());
    }
}
#[cfg(test)]
mod scratch_view {
    #[test]
    #[ignore]
    fn scratch_view() {
        let src = std::env::var("VIEW_IN").unwrap();
        let out = std::env::var("VIEW_OUT").unwrap();
        let w: u32 = std::env::var("VIEW_W").map(|v| v.parse().unwrap()).unwrap_or(1100);
        std::fs::create_dir_all(&out).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            let bytes = std::fs::read(&p).unwrap();
            if p.extension().map(|e| e == "tif" || e == "tiff").unwrap_or(false) {
                let mut dec = tiff::decoder::Decoder::new(std::io::Cursor::new(&bytes)).unwrap();
                let mut i = 0;
                loop {
                    let (iw, ih) = dec.dimensions().unwrap();
                    let ct = dec.colortype().unwrap();
                    let img = match dec.read_image() {
                        Ok(tiff::decoder::DecodingResult::U8(d)) if ct == tiff::ColorType::Gray(8) => image::GrayImage::from_raw(iw, ih, d).unwrap(),
                        Ok(tiff::decoder::DecodingResult::U8(d)) => {
                            let stride = (iw as usize).div_ceil(8);
                            image::GrayImage::from_fn(iw, ih, |x, y| image::Luma([if d[y as usize * stride + x as usize / 8] & (0x80 >> (x % 8)) != 0 { 255 } else { 0 }]))
                        }
                        other => panic!("{other:?}"),
                    };
                    let small = image::imageops::resize(&img, w, w * ih / iw, image::imageops::FilterType::Triangle);
                    small.save(format!("{out}/{name}-p{}.png", i + 1)).unwrap();
                    i += 1;
                    if !dec.more_images() { break; }
                    dec.next_image().unwrap();
                }
            } else {
                match image::load_from_memory(&bytes) {
                    Ok(img) => {
                        let img = img.to_luma8();
                        let small = image::imageops::resize(&img, w, w * img.height() / img.width(), image::imageops::FilterType::Triangle);
                        small.save(format!("{out}/{name}.png")).unwrap();
                    }
                    Err(e) => eprintln!("{name}: {e}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod scratch_faint {
    use super::super::*;
    use page::*;
    #[test]
    #[ignore]
    fn scratch_faint() {
        let fonts = Fonts::load().unwrap();
        let out = std::env::var("FAINT_OUT").unwrap();
        let mut blocks = vec![];
        for v in ["Greg Barnes, MD", "12/25/1993", "EK5730", "500 mg", "Atorvastatin", "Susan K. Whitaker, DO", "March 4, 2011"] {
            blocks.push(Block::Pairs { cols: 1, align: false, items: vec![Pair::new("Physician:", v).hand(Hand::Faint)] });
            blocks.push(Block::Gap(10.0));
        }
        for (hf, dpi) in [(0usize, 300u32), (1, 200), (2, 300)] {
            let doc = Doc { class: FontClass::Sans, font: 0, hand_font: hf, size_pt: 11.0, margin_in: (1.0, 1.0), blocks: blocks.clone() };
            let mut rng = page_rng(1, 0, hf as u32);
            let img = render::draw_doc_pub(&doc, dpi, &fonts, &mut rng);
            let mut s = Scan::clean(); s.paper = 245; s.ink = 20;
            let img = render::damage_pub(img, &s, dpi, &mut rng);
            img.save(format!("{out}/faint-{hf}-{dpi}.png")).unwrap();
            let (lo, hi) = img.iter().fold((255u8, 0u8), |(l, h), p| (l.min(*p), h.max(*p)));
            let mut st = img.clone();
            for p in st.iter_mut() { *p = (((*p - lo) as f32) * 255.0 / (hi - lo).max(1) as f32) as u8; }
            st.save(format!("{out}/stretch-{hf}-{dpi}.png")).unwrap();
        }
    }
}
#[cfg(test)]
mod scratch_blocks {
    use super::super::*;
    #[test]
    #[ignore]
    fn scratch_blocks() {
        let n: usize = std::env::var("B_N").unwrap().parse().unwrap();
        let seed: u64 = std::env::var("B_SEED").unwrap().parse().unwrap();
        let idx: usize = std::env::var("B_I").unwrap().parse().unwrap();
        let pg: usize = std::env::var("B_P").unwrap().parse().unwrap();
        let plans = plan_corpus(n, seed);
        let p = &plans[idx].pages[pg - 1];
        eprintln!("{:#?}", p);
    }
}
