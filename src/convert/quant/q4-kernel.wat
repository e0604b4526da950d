;; 4-bit block quantisation with WebAssembly SIMD: the arithmetic of q4.ts `quantizeQ4` (float32 steps, blocks of
;; 32 values along rows), eight float32x4 lanes per block. Input rows are bf16 or float32, little-endian.
;;
;; Per block:  a NaN → report the block, stop
;;             lo = min(0, values), hi = max(0, values)
;;             scale = f32(f32(hi − lo) / 15)                    → non-finite: report the block, stop
;;             inverse = f32(1 / scale); scale 0 or inverse non-finite → inverse 0, zero point 8
;;             zero point = min(15, floor(f32(−lo · inverse) + ½))
;;             code = clamp(f32(f32(v · inverse) + (zero point + 1.5·2^23)) − 1.5·2^23, 0, 15)
;; Output: codes two per byte (even index in the low nibble), float32 scales, zero points two per byte.
(module
  (memory (export "memory") 1)

  ;; 1 + the index of block `block` of row `row`: what `quantize` returns for a block it cannot quantise.
  (func $failedBlock (param $row i32) (param $blocksPerRow i32) (param $block i32) (result i32)
    (i32.add (i32.const 1) (i32.add (i32.mul (local.get $row) (local.get $blocksPerRow)) (local.get $block))))

  ;; Quantises `rows` × `blocksPerRow` blocks read from `src` (bf16 when `isF32` is 0, float32 otherwise).
  ;; Returns 0, or 1 + the index of the first block whose range is not finite (NaN, ±Inf or overflowing).
  (func (export "quantize")
    (param $src i32) (param $isF32 i32) (param $rows i32) (param $blocksPerRow i32)
    (param $data i32) (param $scales i32) (param $zeros i32)
    (result i32)
    (local $row i32) (local $block i32) (local $zeroByte i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $v4 v128) (local $v5 v128) (local $v6 v128) (local $v7 v128)
    (local $h0 v128) (local $h1 v128) (local $h2 v128) (local $h3 v128) (local $lo4 v128) (local $hi4 v128)
    (local $lo f32) (local $hi f32) (local $scale f32) (local $inverse f32) (local $zeroPoint i32)
    (local $magic4 v128) (local $inv4 v128) (local $offset4 v128) (local $bytes0 v128) (local $bytes1 v128)

    (local.set $magic4 (i32x4.splat (i32.const 0x4b400000)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $block (i32.const 0))
        (block $rowDone
          (loop $blocks
            (br_if $rowDone (i32.ge_u (local.get $block) (local.get $blocksPerRow)))

            ;; --- eight float32x4 lanes of the block ---
            (if (local.get $isF32)
              (then
                (local.set $v0 (v128.load offset=0 (local.get $src)))
                (local.set $v1 (v128.load offset=16 (local.get $src)))
                (local.set $v2 (v128.load offset=32 (local.get $src)))
                (local.set $v3 (v128.load offset=48 (local.get $src)))
                (local.set $v4 (v128.load offset=64 (local.get $src)))
                (local.set $v5 (v128.load offset=80 (local.get $src)))
                (local.set $v6 (v128.load offset=96 (local.get $src)))
                (local.set $v7 (v128.load offset=112 (local.get $src)))
                (local.set $src (i32.add (local.get $src) (i32.const 128))))
              (else
                ;; bf16 → float32: each 16-bit value becomes the high half of a 32-bit lane (an interleave with
                ;; zeros, one instruction).
                (local.set $h0 (v128.load offset=0 (local.get $src)))
                (local.set $h1 (v128.load offset=16 (local.get $src)))
                (local.set $h2 (v128.load offset=32 (local.get $src)))
                (local.set $h3 (v128.load offset=48 (local.get $src)))
                (local.set $v0 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i32x4 0 0 0 0) (local.get $h0)))
                (local.set $v1 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i32x4 0 0 0 0) (local.get $h0)))
                (local.set $v2 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i32x4 0 0 0 0) (local.get $h1)))
                (local.set $v3 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i32x4 0 0 0 0) (local.get $h1)))
                (local.set $v4 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i32x4 0 0 0 0) (local.get $h2)))
                (local.set $v5 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i32x4 0 0 0 0) (local.get $h2)))
                (local.set $v6 (i8x16.shuffle 0 1 16 17 2 3 18 19 4 5 20 21 6 7 22 23 (v128.const i32x4 0 0 0 0) (local.get $h3)))
                (local.set $v7 (i8x16.shuffle 8 9 24 25 10 11 26 27 12 13 28 29 14 15 30 31 (v128.const i32x4 0 0 0 0) (local.get $h3)))
                (local.set $src (i32.add (local.get $src) (i32.const 64)))))

            ;; --- a NaN fails the block (v = v fails only for NaN); ±Inf shows in the range below ---
            (if (i32.eqz (i32x4.all_true
              (v128.and
                (v128.and
                  (v128.and (f32x4.eq (local.get $v0) (local.get $v0)) (f32x4.eq (local.get $v1) (local.get $v1)))
                  (v128.and (f32x4.eq (local.get $v2) (local.get $v2)) (f32x4.eq (local.get $v3) (local.get $v3))))
                (v128.and
                  (v128.and (f32x4.eq (local.get $v4) (local.get $v4)) (f32x4.eq (local.get $v5) (local.get $v5)))
                  (v128.and (f32x4.eq (local.get $v6) (local.get $v6)) (f32x4.eq (local.get $v7) (local.get $v7)))))))
              (then (return (call $failedBlock (local.get $row) (local.get $blocksPerRow) (local.get $block)))))

            ;; --- range: lo = min(0, values), hi = max(0, values); pmin/pmax are one instruction each (no NaNs now) ---
            (local.set $lo4
              (f32x4.pmin
                (f32x4.pmin
                  (f32x4.pmin (f32x4.pmin (local.get $v0) (local.get $v1)) (f32x4.pmin (local.get $v2) (local.get $v3)))
                  (f32x4.pmin (f32x4.pmin (local.get $v4) (local.get $v5)) (f32x4.pmin (local.get $v6) (local.get $v7))))
                (v128.const f32x4 0 0 0 0)))
            (local.set $hi4
              (f32x4.pmax
                (f32x4.pmax
                  (f32x4.pmax (f32x4.pmax (local.get $v0) (local.get $v1)) (f32x4.pmax (local.get $v2) (local.get $v3)))
                  (f32x4.pmax (f32x4.pmax (local.get $v4) (local.get $v5)) (f32x4.pmax (local.get $v6) (local.get $v7))))
                (v128.const f32x4 0 0 0 0)))
            (local.set $lo4 (f32x4.pmin (local.get $lo4)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $lo4) (local.get $lo4))))
            (local.set $lo4 (f32x4.pmin (local.get $lo4)
              (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $lo4) (local.get $lo4))))
            (local.set $hi4 (f32x4.pmax (local.get $hi4)
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $hi4) (local.get $hi4))))
            (local.set $hi4 (f32x4.pmax (local.get $hi4)
              (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $hi4) (local.get $hi4))))
            (local.set $lo (f32x4.extract_lane 0 (local.get $lo4)))
            (local.set $hi (f32x4.extract_lane 0 (local.get $hi4)))

            ;; --- scale, inverse and zero point ---
            (local.set $scale (f32.div (f32.sub (local.get $hi) (local.get $lo)) (f32.const 15)))
            ;; s − s is 0 for every finite s and NaN for ±Inf and NaN
            (if (f32.ne (f32.sub (local.get $scale) (local.get $scale)) (f32.const 0))
              (then (return (call $failedBlock (local.get $row) (local.get $blocksPerRow) (local.get $block)))))
            (f32.store (local.get $scales) (local.get $scale))
            (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
            (local.set $inverse (f32.div (f32.const 1) (local.get $scale)))
            (if (i32.or
                  (f32.eq (local.get $scale) (f32.const 0))
                  (f32.ne (f32.sub (local.get $inverse) (local.get $inverse)) (f32.const 0)))
              (then
                (local.set $inverse (f32.const 0))
                (local.set $zeroPoint (i32.const 8)))
              (else
                ;; Math.round of a non-negative float32, exactly: floor(x + ½) in float64
                (local.set $zeroPoint
                  (i32.trunc_f64_s (f64.floor (f64.add
                    (f64.promote_f32 (f32.mul (f32.neg (local.get $lo)) (local.get $inverse)))
                    (f64.const 0.5)))))
                (if (i32.gt_s (local.get $zeroPoint) (i32.const 15))
                  (then (local.set $zeroPoint (i32.const 15))))))

            ;; --- zero point nibble: an even block writes its byte, an odd one fills the high nibble ---
            (local.set $zeroByte (i32.add (local.get $zeros) (i32.shr_u (local.get $block) (i32.const 1))))
            (if (i32.and (local.get $block) (i32.const 1))
              (then
                (i32.store8 (local.get $zeroByte)
                  (i32.or (i32.load8_u (local.get $zeroByte)) (i32.shl (local.get $zeroPoint) (i32.const 4)))))
              (else (i32.store8 (local.get $zeroByte) (local.get $zeroPoint))))

            ;; --- codes: v · inverse + zero point rounded to the nearest integer (ties to even) by one float32 add at
            ;; 1.5·2^23, whose ulp is 1; the integer is then the low bits. Saturated to 0..15, two per byte. ---
            (local.set $inv4 (f32x4.splat (local.get $inverse)))
            (local.set $offset4 (f32x4.splat
              (f32.add (f32.convert_i32_s (local.get $zeroPoint)) (f32.const 12582912))))
            (local.set $bytes0
              (i8x16.min_u
                (i8x16.narrow_i16x8_u
                  (i16x8.narrow_i32x4_s
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v0) (local.get $inv4)) (local.get $offset4)) (local.get $magic4))
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v1) (local.get $inv4)) (local.get $offset4)) (local.get $magic4)))
                  (i16x8.narrow_i32x4_s
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v2) (local.get $inv4)) (local.get $offset4)) (local.get $magic4))
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v3) (local.get $inv4)) (local.get $offset4)) (local.get $magic4))))
                (i8x16.splat (i32.const 15))))
            (local.set $bytes1
              (i8x16.min_u
                (i8x16.narrow_i16x8_u
                  (i16x8.narrow_i32x4_s
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v4) (local.get $inv4)) (local.get $offset4)) (local.get $magic4))
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v5) (local.get $inv4)) (local.get $offset4)) (local.get $magic4)))
                  (i16x8.narrow_i32x4_s
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v6) (local.get $inv4)) (local.get $offset4)) (local.get $magic4))
                    (i32x4.sub (f32x4.add (f32x4.mul (local.get $v7) (local.get $inv4)) (local.get $offset4)) (local.get $magic4))))
                (i8x16.splat (i32.const 15))))
            ;; each 16-bit lane holds (odd << 8) | even; (lane | lane >> 4) & 0xff is (odd << 4) | even
            (v128.store (local.get $data)
              (i8x16.narrow_i16x8_u
                (v128.and
                  (v128.or (local.get $bytes0) (i16x8.shr_u (local.get $bytes0) (i32.const 4)))
                  (i16x8.splat (i32.const 0xff)))
                (v128.and
                  (v128.or (local.get $bytes1) (i16x8.shr_u (local.get $bytes1) (i32.const 4)))
                  (i16x8.splat (i32.const 0xff)))))
            (local.set $data (i32.add (local.get $data) (i32.const 16)))

            (local.set $block (i32.add (local.get $block) (i32.const 1)))
            (br $blocks)))
        (local.set $zeros (i32.add (local.get $zeros)
          (i32.shr_u (i32.add (local.get $blocksPerRow) (i32.const 1)) (i32.const 1))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows)))
    (i32.const 0))
)
