// Valid, invented resident ID numbers for tests (GB 11643 check character).
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

export function checkChar(digits17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(digits17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

/** An ID number for region, birth date (YYYYMMDD) and a sequence 0..999. */
export function idNumber(region = '141102', birth = '19900307', seq = 123) {
  const d17 = `${region}${birth}${String(seq).padStart(3, '0')}`;
  return d17 + checkChar(d17);
}

/** The same number with a wrong check character. */
export function withBadCheck(id) {
  const good = id[17];
  const bad = CHECK.split('').find((c) => c !== good);
  return id.slice(0, 17) + bad;
}

let counter = 0;
/** A fresh number per call (sequence counts up; birth date varies by test file seed). */
export function freshId(seed = 1) {
  counter += 1;
  const day = String(1 + ((seed * 7 + counter) % 28)).padStart(2, '0');
  return idNumber('141102', `1985${String(1 + (seed % 12)).padStart(2, '0')}${day}`, counter % 1000);
}
